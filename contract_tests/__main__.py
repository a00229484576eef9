from __future__ import annotations

from contract_tests.cli import main

main()

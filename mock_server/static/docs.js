// The API docs of a ciapi mock: Swagger UI (vendored, offline) on each spec the mock serves, whose
// `servers` point at the mock itself, so "Try it out" calls the mock. With a full-access token configured
// (`ciapi serve --token`), bearer schemes are pre-authorized with it.
"use strict";

function say(message) {
  document.getElementById("status").textContent = message;
  document.getElementById("status").classList.add("error");
}

function render(spec, token) {
  const ui = SwaggerUIBundle({
    url: spec.url,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    displayOperationId: true,
    onComplete: () => {
      document.body.dataset.ready = "true";
      if (!token) return;
      const schemes = ui.specSelectors.securityDefinitions();
      if (!schemes) return;
      schemes.forEach((scheme, name) => {
        if (scheme.get("type") === "http" && String(scheme.get("scheme")).toLowerCase() === "bearer") {
          ui.preauthorizeApiKey(name, token);
        }
      });
    },
  });
  window.ui = ui; // for the console (and tests)
  return ui;
}

async function start() {
  let index;
  try {
    const response = await fetch("docs/index.json");
    index = await response.json();
  } catch (error) {
    say(`cannot load the list of specs: ${error.message}`);
    return;
  }
  document.getElementById("api-title").textContent = index.api;
  document.title = `${index.api} · ciapi mock API docs`;
  const wanted = new URLSearchParams(window.location.search).get("spec");
  const chosen = index.specs.find((spec) => spec.name === wanted) || index.specs[0];
  if (index.specs.length > 1) {
    const select = document.getElementById("spec-select");
    for (const spec of index.specs) {
      const option = new Option(`${spec.title} (${spec.file})`, spec.name, false, spec === chosen);
      select.append(option);
    }
    select.addEventListener("change", () => {
      const url = new URL(window.location.href);
      url.searchParams.set("spec", select.value);
      url.hash = "";
      window.location.assign(url.toString());
    });
    document.getElementById("spec-choice").hidden = false;
  }
  render(chosen, index.token);
}

start();

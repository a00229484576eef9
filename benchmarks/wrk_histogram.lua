-- Loaded by load.py (wrk -s): after a pass, print wrk's whole latency histogram (microseconds, count),
-- so that the harness can merge the passes and take percentiles over every request they sent.
done = function(summary, latency, requests)
  io.write("ciapi-latency-histogram\n")
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("%d %d\n", value, count))
  end
  io.write("ciapi-latency-histogram-end\n")
end

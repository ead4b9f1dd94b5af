-- wrk script: search by accent-free full name and birth year, pairs from $NAMES.
local queries = {}
for line in io.lines(os.getenv("NAMES")) do
  local name, year = line:match("^(%S+) (%d+)$")
  if name then queries[#queries + 1] = "/v1/citizens?limit=20&name=" .. name .. "&birth_year=" .. year end
end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
math.randomseed(os.time())

request = function()
  return wrk.format("GET", queries[math.random(#queries)], headers)
end

response = function(status)
  if status ~= 200 then error("status " .. status) end
end

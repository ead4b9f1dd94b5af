-- wrk script: GET /v1/citizens/{pin} for PINs drawn at random from $PINS.
local pins = {}
for line in io.lines(os.getenv("PINS")) do pins[#pins + 1] = line end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/v1/citizens/" .. pins[math.random(#pins)], headers)
end

response = function(status)
  if status ~= 200 then error("status " .. status) end
end

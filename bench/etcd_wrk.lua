-- wrk script for etcd's v3 JSON gateway (etcd 3.4): PUT (/v3/kv/put) or
-- GET (/v3/kv/range) of keys drawn uniformly from KEYS keys, with
-- base64 keys and values as the gateway wants. Environment: ETCD_OP=put|get
-- (default put), ETCD_KEYS (default 1000), ETCD_VALUE_SIZE (default 10).
-- Used by bench/compare.sh: Debian ships no etcd benchmark tool. wrk itself
-- reports answers other than 200 ("Non-2xx or 3xx responses").
local op = os.getenv('ETCD_OP') or 'put'
local nkeys = tonumber(os.getenv('ETCD_KEYS') or '1000')
local vsize = tonumber(os.getenv('ETCD_VALUE_SIZE') or '10')

local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

local function b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 4 - (3 - (#s - i + 1 < 3 and #s - i + 1 or 3))
    for j = 1, 4 do
      if j <= chars then
        local idx = math.floor(n / 2 ^ (6 * (4 - j))) % 64
        out[#out + 1] = alphabet:sub(idx + 1, idx + 1)
      else
        out[#out + 1] = '='
      end
    end
  end
  return table.concat(out)
end

local keys = {}
for i = 0, nkeys - 1 do keys[i + 1] = b64('key-' .. i) end
local value = b64(string.rep('1', vsize))
local headers = { ['Content-Type'] = 'application/json' }

request = function()
  local k = keys[math.random(nkeys)]
  if op == 'get' then
    return wrk.format('POST', '/v3/kv/range', headers, '{"key":"' .. k .. '"}')
  end
  return wrk.format('POST', '/v3/kv/put', headers, '{"key":"' .. k .. '","value":"' .. value .. '"}')
end

-- ETCD_DELAY_MS: each connection waits an exponentially distributed time
-- of this mean after every answer (wrk's delay()), so C connections offer
-- about C / (delay + latency) requests per second: paced load for the
-- latency-against-load sweep (wrk has no open loop; Debian has no wrk2).
local delay_ms = tonumber(os.getenv('ETCD_DELAY_MS') or '0')
if delay_ms > 0 then
  delay = function()
    return -math.log(1 - math.random()) * delay_ms
  end
end

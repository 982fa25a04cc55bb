--[[
  dict_incr: add a number to a numeric entry (absent counts as 0), keeping the entry's TTL.
  KEYS[1..6], ARGV[1..5] and the purge limit last, as in dict_lib.lua; KEYS[7] the fence scope's issued-fence counter and KEYS[8] the lock's holder key (see dict_lib.lua).
  ARGV[6] key, ARGV[7] the amount, as JavaScript prints it
  Returns {'ok', version, new value as JSON text}. The sum is a double, printed with the fewest
  digits (15 to 17) that read back as the same double, so no precision is lost.
  Errors: {'fence', lock, fence, detail}, {'type', key, kind of the stored value},
  {'overflow', key} when the sum is not finite.
]]
local key = ARGV[6]
purge({ key })
local refused = check_fence()
if refused then return refused end

local current, expires_at = 0, ''
local packed = redis.call('HGET', K_ENTRIES, key)
if packed then
  local _, exp, text = unpack_entry(packed)
  local c = string.byte(text, 1)
  if not (c == 45 or (c ~= nil and c >= 48 and c <= 57)) then -- a JSON number starts with - or a digit
    local kinds = { [34] = 'string', [123] = 'object', [91] = 'array', [116] = 'boolean', [102] = 'boolean', [110] = 'null' }
    return { 'type', key, kinds[c] or 'unknown' }
  end
  current, expires_at = tonumber(text), exp
end

local sum = current + tonumber(ARGV[7])
if sum ~= sum or sum == math.huge or sum == -math.huge then return { 'overflow', key } end

local function json_number(x)
  if x == 0 then return '0' end
  if x == math.floor(x) and math.abs(x) < 1e21 then return string.format('%.0f', x) end
  for digits = 15, 17 do
    local s = string.format('%.' .. digits .. 'g', x)
    if tonumber(s) == x then return s end
  end
  return string.format('%.17g', x)
end

local text = json_number(sum)
local field = 's' .. key
if expires_at ~= '' then field = 't' .. key end
local v = next_version({ field, text })
put(key, text, v, expires_at)
record_fence()
return { 'ok', v, text }

--[[
  dict_incr: add a number to a numeric entry (absent counts as 0), keeping the entry's TTL.
  KEYS[1..6], ARGV[1..5] and the fence floor and purge limit last, as in dict_lib.lua; KEYS[7] the fence scope's issued-fence counter and KEYS[8] the lock's holder key (see dict_lib.lua).
  ARGV[6] key, ARGV[7] the amount, as JavaScript prints it
  Returns {'ok', version, new value as JSON text}. The sum is a double, printed with the fewest
  digits (15 to 17) that read back as the same double, so no precision is lost (incr_op in
  dict_lib.lua).
  Errors: {'fence', lock, fence, detail}, {'type', key, kind of the stored value},
  {'overflow', key} when the sum is not finite.
]]
--@include "dict_lib.lua"
local key = ARGV[6]
purge({ key })
local refused = check_fence()
if refused then return refused end
return incr_op(key, ARGV[7])

-- The non-empty keys, or nil if the key set is not complete yet (the client runs
-- space_index, then asks again). Plain takes (a client-side LPOP) leave emptied keys in the
-- set: they are dropped here.
if redis.call('GET', P .. 'ix') ~= 'ready' then return false end
local ks = redis.call('SMEMBERS', P .. 'keys')
local live = {}
for i = 1, #ks do
  if redis.call('EXISTS', P .. 'q:' .. ks[i]) == 1 then
    live[#live + 1] = ks[i]
  else
    redis.call('SREM', P .. 'keys', ks[i])
  end
end
return live

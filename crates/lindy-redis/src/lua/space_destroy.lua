-- Deletes every key of the space. The client builds the key set first (space_index), so
-- `keys` names every non-empty list.
local ks = redis.call('SMEMBERS', P .. 'keys')
for i = 1, #ks do redis.call('DEL', P .. 'q:' .. ks[i]) end
local ws = redis.call('HVALS', P .. 'wkey')
for i = 1, #ws do redis.call('DEL', P .. 'wq:' .. ws[i]) end
redis.call('DEL', meta, P .. 'keys', P .. 'leases', P .. 'leased', P .. 'lkey', P .. 'dead',
  P .. 'wexp', P .. 'wkey', P .. 'hand', P .. 'closed', P .. 'ix')
return 1

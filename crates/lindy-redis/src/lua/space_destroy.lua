-- Deletes every key of the space.
local ks = redis.call('SMEMBERS', P .. 'keys')
for i = 1, #ks do redis.call('DEL', P .. 'q:' .. ks[i]) end
redis.call('DEL', meta, P .. 'keys', P .. 'leases', P .. 'leased', P .. 'lkey', P .. 'dead')
return 1

-- Shared helpers of the registry scripts. KEYS[1] is the registry's `ch` hash (records by
-- name); the other keys share its prefix and {hash tag}:
--   exp  zset  name -> deadline (an open channel's expiry, a tombstone's reap time)
--   n    string  records that are not deleted
--   seq  string  the last event number
--   log  stream  the events, id "<n>-1" (capped), for nodes that missed the pub/sub message
--   bus  pub/sub channel  "n|origin|kind|at|name"
local ch = KEYS[1]
local P = string.sub(ch, 1, -3)

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A record is "state,ttl,created,last_active,delta" with state o|c|d.
local function load(name)
  local r = redis.call('HGET', ch, name)
  if not r then return nil end
  local s, ttl, created, last, delta = string.match(r, '^(%a),(%d+),(%d+),(%d+),(%d)$')
  return {state = s, ttl = tonumber(ttl), created = tonumber(created), last = tonumber(last), delta = delta}
end

local function store(name, c)
  redis.call('HSET', ch, name, string.format('%s,%d,%d,%d,%s', c.state, c.ttl, c.created, c.last, c.delta))
end

local function reply(c, kind, at)
  return {c.state, c.ttl, c.created, c.last, c.delta, kind or '', at or 0}
end

-- Records one transition: numbered, logged and published, once (this script is the only place
-- the transition happens).
local function emit(origin, kind, name, at)
  local n = redis.call('INCR', P .. 'seq')
  redis.call('XADD', P .. 'log', 'MAXLEN', '~', ARGV[1], n .. '-1',
    'o', origin, 'k', kind, 'a', at, 'c', name)
  redis.call('PUBLISH', P .. 'bus', n .. '|' .. origin .. '|' .. kind .. '|' .. at .. '|' .. name)
end

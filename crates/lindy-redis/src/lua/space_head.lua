-- The head of every space script. KEYS[1] is the space's `meta` hash; every other key is
-- derived from its prefix, so all keys of a space share its {hash tag}.
local meta = KEYS[1]
local P = string.sub(meta, 1, -5)

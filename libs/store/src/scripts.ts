// The store's atomic read-check-write steps. Each appends its event to the sweep's stream and
// the global stream in the same script, so no change is ever seen without its event.
import { TERMINAL_TRIAL_STATES, TRIAL_STATES, isTerminalTrialState } from '@jvae/sweep';
import { LuaScript } from './lua-script.js';
import { REQUEUE_REASONS } from './records.js';

/** A Lua table literal with each of `names` as a key set to true, for membership tests in a script. */
function luaSet(names: readonly string[]): string {
  return `{${names.map((name) => `${name}=true`).join(', ')}}`;
}

const TERMINAL = luaSet(TERMINAL_TRIAL_STATES);
const REQUEUE = luaSet(REQUEUE_REASONS);
const LIVE = luaSet(TRIAL_STATES.filter((state) => !isTerminalTrialState(state)));

/**
 * Lua: `moveTrial(state, to, now, event, sweepMaxLen, globalMaxLen)` moves the trial of KEYS[1]
 * from `state` to `to` and keeps what follows from it in the same step: the sweep's count of
 * trials per state (fields `n:STATE` of the sweep hash KEYS[5]), attempts and start time on
 * entering `running`, finish time on a final state, no workers outside `running`, no stop
 * request (KEYS[4]) once final nor a PBT requeue request (exploit, pause) once a new attempt
 * runs, and the event on the sweep stream (KEYS[2]) and the global
 * one (KEYS[3]).
 */
const MOVE_TRIAL = `
local function moveTrial(state, to, now, event, sweepMaxLen, globalMaxLen)
  local terminal = ${TERMINAL}
  local requeue = ${REQUEUE}
  redis.call('HSET', KEYS[1], 'state', to, 'updatedAt', now)
  redis.call('HINCRBY', KEYS[5], 'n:' .. state, -1)
  redis.call('HINCRBY', KEYS[5], 'n:' .. to, 1)
  if to == 'running' then
    redis.call('HINCRBY', KEYS[1], 'attempts', 1)
    redis.call('HSETNX', KEYS[1], 'startedAt', now)
    if requeue[redis.call('GET', KEYS[4]) or ''] then redis.call('DEL', KEYS[4]) end
  elseif terminal[to] then
    redis.call('HSET', KEYS[1], 'finishedAt', now, 'workers', '[]')
    redis.call('DEL', KEYS[4])
  else
    redis.call('HSET', KEYS[1], 'workers', '[]')
  end
  -- Out of a final state (a retried trial): it is not finished any more.
  if terminal[state] and not terminal[to] then redis.call('HDEL', KEYS[1], 'finishedAt') end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', sweepMaxLen, '*', 'e', event)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', globalMaxLen, '*', 'e', event)
end
`;

/**
 * KEYS: trial hash, sweep stream, global stream, stop key, sweep hash.
 * ARGV: from states (comma-separated), to state, now, event JSON, sweep maxlen, global maxlen,
 *       then field/value pairs to set.
 * A trial PBT has given another trial's checkpoint does not complete on its own weights: it
 * must be queued again to continue from that checkpoint.
 * Returns {1, previous} when applied, {0, current} when the trial is in another state, {0, ''}
 * when missing, {0, current, 'exploit'} when it would complete while asked to stop for 'exploit'.
 */
export const TRANSITION_TRIAL = new LuaScript(`${MOVE_TRIAL}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {0, ''} end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == state then allowed = true end
end
if not allowed then return {0, state} end
if ARGV[2] == 'completed' and redis.call('GET', KEYS[4]) == 'exploit' then return {0, state, 'exploit'} end
if #ARGV > 6 then redis.call('HSET', KEYS[1], unpack(ARGV, 7)) end
moveTrial(state, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return {1, state}
`);

/**
 * KEYS: as TRANSITION_TRIAL. ARGV: now, event JSON (the trial cancelled), sweep maxlen, global maxlen.
 * A queued trial becomes cancelled; a running one is asked to stop for 'cancel' (its worker
 * moves it), replacing an ASHA request. Returns 'cancelled', 'stopping', or '' when neither
 * applies (already final, or already asked to stop for 'cancel').
 */
export const CANCEL_TRIAL = new LuaScript(`${MOVE_TRIAL}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' then
  moveTrial(state, 'cancelled', ARGV[1], ARGV[2], ARGV[3], ARGV[4])
  return 'cancelled'
end
if state == 'running' and redis.call('GET', KEYS[4]) ~= 'cancel' then
  redis.call('SET', KEYS[4], 'cancel')
  return 'stopping'
end
return ''
`);

/**
 * KEYS: trial hash, metrics list, sweep stream, global stream.
 * ARGV: step, point JSON, metrics JSON, sweep metric value ('' when not reported), now,
 *       event JSON, sweep maxlen, global maxlen.
 * Points at this step or later are dropped first: an attempt resumed from an earlier
 * checkpoint evaluates those steps again (to the same values), and the series stays in
 * strictly increasing step order.
 * Returns 1, or 0 when the trial is not running (a late report is dropped).
 */
export const RECORD_EVAL = new LuaScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
local step = tonumber(ARGV[1])
while true do
  local last = redis.call('LINDEX', KEYS[2], -1)
  if not last or tonumber(cjson.decode(last).step) < step then break end
  redis.call('RPOP', KEYS[2])
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'step', ARGV[1], 'metrics', ARGV[3], 'updatedAt', ARGV[5])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'metric', ARGV[4]) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'e', ARGV[6])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'e', ARGV[6])
return 1
`);

/** KEYS: trial hash. ARGV: step, now. Returns 1, or 0 when the trial is not running. */
export const REPORT_STEP = new LuaScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'step', ARGV[1], 'updatedAt', ARGV[2])
return 1
`);

/**
 * KEYS: checkpoint hash, trial hash, trial checkpoints zset, sweep stream, global stream, stop key.
 * ARGV: id, trialId, step, files JSON, createdAt, location, keep, event JSON, sweep maxlen, global maxlen.
 * The trial's latest checkpoint moves only forward in steps (a late upload of an older step
 * is stored but not made latest). Beyond the `keep` highest steps, older checkpoints are
 * dropped from the trial's set (never the latest). A trial that PBT has given another trial's
 * checkpoint takes none of its own until its next attempt: its old weights are done with.
 * Returns {-1} when the trial is missing, {-2} while it exploits, else {1 if made latest else 0, evicted ids...}.
 */
export const ADD_CHECKPOINT = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
if redis.call('GET', KEYS[6]) == 'exploit' then return {-2} end
local step = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'trialId', ARGV[2], 'step', ARGV[3], 'files', ARGV[4],
  'createdAt', ARGV[5], 'location', ARGV[6])
redis.call('ZADD', KEYS[3], step, ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[2], 'checkpointStep') or '-1')
local latest = 0
if step >= current then
  redis.call('HSET', KEYS[2], 'checkpoint', ARGV[1], 'checkpointStep', ARGV[3], 'updatedAt', ARGV[5])
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 'e', ARGV[8])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[10], '*', 'e', ARGV[8])
  latest = 1
end
local keepId = redis.call('HGET', KEYS[2], 'checkpoint')
local result = {latest}
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -(tonumber(ARGV[7]) + 1))) do
  if id ~= keepId then
    redis.call('ZREM', KEYS[3], id)
    table.insert(result, id)
  end
end
return result
`);

/**
 * KEYS: rung hash. ARGV: trial id, value.
 * Records the trial's value at the rung with the values recorded before it, once: a second
 * call returns the first record, so a decision replayed after a crash is the same decision.
 * Returns "value before1,before2,...".
 */
export const RECORD_RUNG = new LuaScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return existing end
local before = {}
for _, record in ipairs(redis.call('HVALS', KEYS[1])) do
  table.insert(before, string.match(record, '^(%S+)'))
end
local record = ARGV[2] .. ' ' .. table.concat(before, ',')
redis.call('HSET', KEYS[1], ARGV[1], record)
return record
`);

/**
 * KEYS: trial hash, stop key. ARGV: reason, overwrite ('1' or '0').
 * Only a trial not yet final (queued or running) can be asked to stop. Returns the reason in force, or false.
 */
export const REQUEST_STOP = new LuaScript(`
local live = ${LIVE}
if not live[redis.call('HGET', KEYS[1], 'state')] then return false end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[2], ARGV[1])
else
  redis.call('SET', KEYS[2], ARGV[1], 'NX')
end
return redis.call('GET', KEYS[2])
`);

/**
 * KEYS: rendezvous hash, then the seats of the gang's members in rank order (the leader first).
 * ARGV: generation expected now ('' for none), new generation, members JSON, addresses JSON,
 *       checkpoint id ('' for none), now, then one expected value per seat ('' = free), then one
 *       new value per seat.
 * Forms (or re-forms) a gang in one step: every seat must still be what the leader read when
 * it chose the members, and the rendezvous at the generation it read. Returns 1, or 0 when
 * anything changed meanwhile (nothing is written).
 */
export const CLAIM_GANG = new LuaScript(`
local n = #KEYS - 1
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return 0 end
for i = 1, n do
  if (redis.call('GET', KEYS[i + 1]) or '') ~= ARGV[6 + i] then return 0 end
end
for i = 1, n do redis.call('SET', KEYS[i + 1], ARGV[6 + n + i]) end
redis.call('HSET', KEYS[1], 'generation', ARGV[2], 'members', ARGV[3], 'addresses', ARGV[4],
  'checkpointId', ARGV[5], 'updatedAt', ARGV[6])
return 1
`);

/** KEYS: seat. ARGV: trial id. Frees the seat if it is held for that trial; returns 1 if it was. */
export const RELEASE_SEAT = new LuaScript(`
local seat = redis.call('GET', KEYS[1])
if not seat or cjson.decode(seat).trialId ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * KEYS: trial hash, stop key, trial checkpoints zset, the copied checkpoint's hash, sweep stream, global stream.
 * ARGV: interval step decided at, checkpoint id, its step, files JSON, createdAt, location,
 *       config JSON, seed, lineage JSON, schedule JSON, now, event JSON, sweep maxlen, global maxlen.
 * A PBT exploit in one step, once per interval step: the queued or running trial takes the copied
 * checkpoint as its only one (the others are dropped and returned for deletion), the donor's
 * config and seed, its new lineage and schedule. A queued trial resumes from it at its next
 * attempt; a running one is asked to stop for 'exploit', which sends it back to the queue.
 * Returns {0} when the trial is final, is being cancelled, or was already decided at this step
 * or later; else {1, dropped checkpoint ids...}.
 */
export const EXPLOIT_TRIAL = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' and state ~= 'queued' then return {0} end
if redis.call('GET', KEYS[2]) == 'cancel' then return {0} end
if tonumber(redis.call('HGET', KEYS[1], 'pbtStep') or '0') >= tonumber(ARGV[1]) then return {0} end
redis.call('HSET', KEYS[4], 'id', ARGV[2], 'trialId', redis.call('HGET', KEYS[1], 'id'), 'step', ARGV[3],
  'files', ARGV[4], 'createdAt', ARGV[5], 'location', ARGV[6])
local result = {1}
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do table.insert(result, id) end
redis.call('DEL', KEYS[3])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[1], 'checkpoint', ARGV[2], 'checkpointStep', ARGV[3], 'config', ARGV[7], 'seed', ARGV[8],
  'lineage', ARGV[9], 'schedule', ARGV[10], 'pbtStep', ARGV[1], 'updatedAt', ARGV[11])
if state == 'running' then
  redis.call('SET', KEYS[2], 'exploit')
else
  redis.call('HSET', KEYS[1], 'step', ARGV[3])
end
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[13], '*', 'e', ARGV[12])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[14], '*', 'e', ARGV[12])
return result
`);

/**
 * KEYS: trial hash. ARGV: interval step.
 * PBT decides once per trial and interval step: records the step as decided unless this or a
 * later one already is. Returns 1 when recorded, 0 when already decided (or the trial is final).
 */
export const ADVANCE_PBT_STEP = new LuaScript(`
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' and state ~= 'queued' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'pbtStep') or '0') >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'pbtStep', ARGV[1])
return 1
`);

// `npm run bench:subscribe-policy`: what TopicPolicy.checkSubscribe costs per `subscribe` (and per
// topic a `resume` restores), by kind of pattern. The wildcard rule of issue 17 runs here, once per
// subscription; delivery never calls the policy. 20 declarations, like a mid-sized app; each
// pattern overlaps one of them. The number printed is ns per call (awaited), best of 5 timed
// rounds after a warm-up.
import { compileParamValidator, TopicRegistry } from '../lib/explorer/topic-registry.js';
import type { TopicDefinition } from '../lib/explorer/topic-registry.js';
import { TopicPolicy, type Requester } from '../lib/explorer/topic-policy.js';
import { TopicTemplate } from '../lib/topics/topic-template.js';

const CALLS = 200_000;

function declare(
  source: string,
  hook: ((context: { params: Record<string, string> }) => boolean) | null,
  wildcards?: boolean,
): TopicDefinition {
  const template = TopicTemplate.parse(source);
  const subscribeHooks = hook ? [hook] : [];
  return {
    template,
    options: wildcards === undefined ? {} : { wildcards },
    gateway: 'BenchGateway',
    path: '/ws',
    clientsMayPublish: false,
    clientsMaySubscribe: true,
    wildcards: wildcards ?? subscribeHooks.length === 0,
    presence: null,
    validatePayload: () => null,
    validateParams: compileParamValidator(template, {
      roomId: { pattern: '^[A-Za-z0-9_-]{1,32}$' },
    }),
    subscribeHooks,
    publishHooks: [],
  };
}

const notStaff = (context: { params: Record<string, string> }) => context.params.roomId !== 'staff';
const registry = new TopicRegistry();
registry.addTopic(declare('chat/rooms/{roomId}', notStaff));
registry.addTopic(declare('teams/{team}/{roomId}', notStaff, true));
registry.addTopic(declare('alerts/{level}', null));
for (let i = 0; i < 17; i++) registry.addTopic(declare(`app${i}/{id}/events`, null));
const policy = new TopicPolicy(registry);
const requester: Requester = { id: 'c1', principal: null, ws: null };

const CASES: [string, string, 'allowed' | 'refused'][] = [
  ['exact topic, hooked declaration', 'chat/rooms/7', 'allowed'],
  ['+ over a hooked parameter, refused (no opt-in)', 'chat/rooms/+', 'refused'],
  ['+ over a hooked parameter, wildcards: true', 'teams/red/+', 'allowed'],
  ['+ on a declaration without hook', 'alerts/+', 'allowed'],
];

async function measure(filter: string, expected: 'allowed' | 'refused'): Promise<number> {
  const outcome = (await policy.checkSubscribe(filter, requester, false)) ? 'refused' : 'allowed';
  if (outcome !== expected) console.log(`note: ${filter} is ${outcome} by this version`);
  const run = async () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await policy.checkSubscribe(filter, requester, false);
    return Number(process.hrtime.bigint() - start) / CALLS;
  };
  await run(); // warm-up (JIT)
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) best = Math.min(best, await run());
  return best;
}

const rows: string[] = [];
for (const [label, filter, expected] of CASES) {
  rows.push(`| ${label} | \`${filter}\` | ${(await measure(filter, expected)).toFixed(0)} |`);
}
console.log(
  `TopicPolicy.checkSubscribe, ns per call (Node ${process.version}, 20 declarations, ${CALLS} calls/round, best of 5)\n\n` +
    '| pattern | example | ns |\n|---|---|---:|\n' +
    rows.join('\n'),
);

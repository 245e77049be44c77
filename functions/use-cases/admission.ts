import { mailboxOf } from '../domain/email/address.ts';
import { RateLimitedError } from '../domain/errors.ts';
import type { Dependencies } from './dependencies.ts';
import type { BucketLimit } from './ports.ts';

/** The shared providers' list, loaded when mail first asks for it: the web's calls never need it. */
const mailDomains = () => import('../domain/email/mail-domains.ts');

/** What a call is, for the buckets it draws on: a new request, another public call, an operator call. */
export type CallKind = 'request' | 'public' | 'operator';

/** A client's address is personal data: buckets are named by its keyed hash — of its network, see clientNetwork. */
async function clientKey(deps: Pick<Dependencies, 'keyedHash'>, clientIp: string): Promise<string> {
  return (await deps.keyedHash('ip', clientNetwork(clientIp))).slice(0, 32);
}

/**
 * What one client is, for its buckets: an IPv4 address (an IPv4-mapped IPv6 one as that), or an IPv6 address's /64 —
 * one subscriber's network (RFC 6177), from which anyone can send from as many addresses as they like.
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back] : front;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Lets a call in, or refuses it with RateLimitedError (429 with Retry-After). A new request draws on its client's
 * bucket and on everyone's; other public calls and operator calls each on a bucket of their own per client, so a
 * flood of public requests cannot lock the operator out.
 */
export async function admit(deps: Pick<Dependencies, 'limits' | 'profile' | 'clock' | 'keyedHash'>, kind: CallKind, clientIp: string): Promise<void> {
  const limits = deps.profile.limits;
  const client = await clientKey(deps, clientIp);
  const buckets: Array<[string, BucketLimit]> =
    kind === 'request'
      ? [
          [`request:${client}`, limits.requestsPerClient],
          ['request:all', limits.requestsInAll],
        ]
      : kind === 'public'
        ? [[`public:${client}`, limits.publicCallsPerClient]]
        : [[`operator:${client}`, limits.operatorCallsPerClient]];
  for (const [bucket, limit] of buckets) {
    const retryAfter = await deps.limits.take(bucket, limit, deps.clock.now());
    if (retryAfter > 0) throw new RateLimitedError(retryAfter);
  }
}

/**
 * Whether a mail may make a new request: it draws on its sender's bucket (the mailbox, whatever its spellings), its
 * sender domain's (none at a shared provider) and everyone's (limits.mailRequests…). Mail cannot be answered 429 — SES took it already — so a
 * refusal is the caller's to record; each bucket is named by a keyed hash, as an address is personal data.
 */
export async function admitMail(deps: Pick<Dependencies, 'limits' | 'profile' | 'clock' | 'keyedHash'>, sender: string): Promise<boolean> {
  const limits = deps.profile.limits;
  const domain = sender.slice(sender.lastIndexOf('@') + 1);
  // At a shared provider the domain is everyone there: a few of its accounts would hold them all. Mail comes here only
  // when a check vouched for its sender, so each of those accounts is a real mailbox, held by its own bucket.
  const perDomain: Array<[string, BucketLimit]> = (await mailDomains()).isSharedProvider(domain) ? [] : [[`mail-domain:${await mailKey(deps, 'domain', domain)}`, limits.mailRequestsPerSenderDomain]];
  return takesFromAll(deps, [[`mail-sender:${await mailKey(deps, 'sender', mailboxOf(sender))}`, limits.mailRequestsPerSender], ...perDomain, ['mail:all', limits.mailRequestsInAll]]);
}

/**
 * Whether a reply naming a request may be taken in: it draws on the request's bucket — one for the person's replies,
 * one for everyone else's (limits.mailRepliesPerRequest) — and, when a check vouches for its sender, on the sender's
 * (the mailbox, limits.mailRepliesPerSender). Mail no check vouches for may carry anyone's From, the person's too:
 * on their bucket, a forger's mails would hold back the person's own. As for admitMail, a refusal is the caller's to
 * record.
 */
export async function admitReply(deps: Pick<Dependencies, 'limits' | 'profile' | 'clock' | 'keyedHash'>, reply: { sender: string; vouched: boolean }, requestId: string, fromThePerson: boolean): Promise<boolean> {
  const limits = deps.profile.limits;
  const perSender: Array<[string, BucketLimit]> = reply.vouched ? [[`mail-reply-sender:${await mailKey(deps, 'reply sender', mailboxOf(reply.sender))}`, limits.mailRepliesPerSender]] : [];
  return takesFromAll(deps, [...perSender, [`mail-reply:${requestId}:${fromThePerson ? 'person' : 'others'}`, limits.mailRepliesPerRequest]]);
}

/** A bucket named by a keyed hash of what it counts: an address is personal data. */
async function mailKey(deps: Pick<Dependencies, 'keyedHash'>, kind: string, value: string): Promise<string> {
  return (await deps.keyedHash(`mail ${kind}`, value)).slice(0, 32);
}

/** Takes a token from each bucket in turn: false at the first that has none (the ones after it are not drawn on). */
async function takesFromAll(deps: Pick<Dependencies, 'limits' | 'clock'>, buckets: Array<[string, BucketLimit]>): Promise<boolean> {
  for (const [bucket, limit] of buckets) {
    if ((await deps.limits.take(bucket, limit, deps.clock.now())) > 0) return false;
  }
  return true;
}

// SPDX-License-Identifier: AGPL-3.0-or-later
import t from 'tap';
import { compileFilters } from '../../apis/ec2/core/filters.js';
import { checkIds, isId, newId } from '../../apis/ec2/core/ids.js';
import { paginate } from '../../apis/ec2/core/paging.js';
import { tagsFromSpecs } from '../../apis/ec2/core/tags.js';
import { allocateIp, cidrContains, cidrOverlaps, parseCidr, regionAbbrev } from '../../apis/ec2/network.js';
import type { SubnetRec } from '../../apis/ec2/records.js';

t.test('ids', async (t) => {
  const id = newId('i');
  t.match(id, /^i-[0-9a-f]{17}$/);
  t.ok(isId('vol', 'vol-1234abcd'), 'legacy 8-hex ids are accepted');
  t.notOk(isId('vol', 'vol-1234ABCD'));
  t.notOk(isId('sg', 'sgr-0123456789abcdef0'));
  t.throws(() => checkIds('i', ['i-xyz']), { code: 'InvalidInstanceID.Malformed', message: 'Invalid id: "i-xyz" (expecting "i-...")' });
});

t.test('filters: AND across filters, OR across values, wildcards and escapes, tags', async (t) => {
  type R = { id: string; n: number; list: string[]; Tags?: Array<{ Key: string; Value: string }> };
  const spec = { id: (r: R) => r.id, n: (r: R) => r.n, list: (r: R) => r.list };
  const rs: R[] = [
    { id: 'alpha', n: 1, list: ['x', 'y'], Tags: [{ Key: 'Name', Value: 'web-1' }] },
    { id: 'beta', n: 2, list: [], Tags: [{ Key: 'Name', Value: 'db*' }] },
    { id: 'gamma', n: 3, list: ['y'] },
  ];
  const run = (f: Array<{ Name: string; Values: string[] }>) => rs.filter(compileFilters(f, spec, (r) => r.Tags)).map((r) => r.id);
  t.same(run([{ Name: 'id', Values: ['a*'] }]), ['alpha']);
  t.same(run([{ Name: 'id', Values: ['?eta', 'gamma'] }]), ['beta', 'gamma']);
  t.same(run([{ Name: 'list', Values: ['y'] }, { Name: 'n', Values: ['3'] }]), ['gamma']);
  t.same(run([{ Name: 'tag:Name', Values: ['web-*'] }]), ['alpha']);
  t.same(run([{ Name: 'tag:Name', Values: ['db\\*'] }]), ['beta'], 'escaped star is literal');
  t.same(run([{ Name: 'tag-key', Values: ['Name'] }]), ['alpha', 'beta']);
  t.same(run([{ Name: 'tag-value', Values: ['*'] }]), ['alpha', 'beta']);
  t.same(run([{ Name: 'id', Values: [] }]), [], 'no values match nothing');
  t.throws(() => compileFilters([{ Name: 'nope', Values: ['1'] }], spec), { code: 'InvalidParameterValue', message: "The filter 'nope' is invalid" });
});

t.test('pagination', async (t) => {
  const items = Array.from({ length: 12 }, (_, n) => `k${String(n).padStart(2, '0')}`);
  const p1 = paginate(items, (x) => x, { maxResults: 5 });
  t.same(p1.items, ['k00', 'k01', 'k02', 'k03', 'k04']);
  const p2 = paginate(items, (x) => x, { maxResults: 5, nextToken: p1.nextToken });
  const p3 = paginate(items, (x) => x, { maxResults: 5, nextToken: p2.nextToken });
  t.same(p3.items, ['k10', 'k11']);
  t.equal(p3.nextToken, undefined);
  t.same(paginate(items, (x) => x, {}).items.length, 12);
  t.throws(() => paginate(items, (x) => x, { maxResults: 1001 }), { code: 'InvalidParameterValue' });
  t.throws(() => paginate(items, (x) => x, { maxResults: 5, nextToken: '!!' }), { code: 'InvalidParameterValue' });
});

t.test('tag specifications', async (t) => {
  const m = tagsFromSpecs([{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] }], ['instance', 'volume']);
  t.same(m.get('instance'), [{ Key: 'a', Value: '2' }]);
  t.throws(() => tagsFromSpecs([{ ResourceType: 'vpc', Tags: [] }], ['instance']), { code: 'InvalidParameterValue' });
});

t.test('addressing', async (t) => {
  t.equal(regionAbbrev('us-east-1'), 'use1');
  t.equal(regionAbbrev('eu-central-2'), 'euc2');
  t.ok(cidrContains(parseCidr('10.0.0.0/16')!, parseCidr('10.0.255.0/24')!));
  t.notOk(cidrContains(parseCidr('10.0.0.0/16')!, parseCidr('10.1.0.0/24')!));
  t.ok(cidrOverlaps(parseCidr('10.0.0.0/24')!, parseCidr('10.0.0.128/25')!));
  t.same(parseCidr('10.0.0.9/24'), { base: parseCidr('10.0.0.0/24')!.base, prefix: 24 }, 'host bits are cleared');
  const s = { id: 'subnet-1', CidrBlock: '10.0.0.0/29', used: {} } as unknown as SubnetRec;
  t.equal(allocateIp(s, 'a'), '10.0.0.4');
  t.equal(allocateIp(s, 'b'), '10.0.0.5');
  t.equal(allocateIp(s, 'c', '10.0.0.6'), '10.0.0.6');
  t.throws(() => allocateIp(s, 'd'), { code: 'InsufficientFreeAddressesInSubnet' });
  t.throws(() => allocateIp(s, 'd', '10.0.0.7'), { code: 'InvalidParameterValue' }, 'broadcast is reserved');
  t.throws(() => allocateIp(s, 'd', '10.0.0.5'), { code: 'InvalidIPAddress.InUse' });
});

t.test('tag keys and values refuse control characters', async (t) => {
  t.throws(() => tagsFromSpecs([{ ResourceType: 'instance', Tags: [{ Key: 'a\u001fb', Value: 'x' }] }], ['instance']), { code: 'InvalidParameterValue' });
  t.throws(() => tagsFromSpecs([{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'x\ny' }] }], ['instance']), { code: 'InvalidParameterValue' });
});

t.test('backends are found by name under translators/<name>/ec2', async (t) => {
  const { loadBackend } = await import('../../apis/ec2/index.js');
  t.type(await loadBackend('embedded'), 'function');
  t.type(await loadBackend('proxmox'), 'function');
  await t.rejects(loadBackend('nonesuch'), /ec2.backend 'nonesuch' has no translator in this build/);
  await t.rejects(loadBackend('../etc'), /is not a backend name/);
});

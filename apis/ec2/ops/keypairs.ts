// SPDX-License-Identifier: AGPL-3.0-or-later
/** CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair. Names are unique per account. */
import { AwsError } from '../../../src/errors.js';
import { dryRunOk, invalidParameter, missingParameter, notFound } from '../core/errors.js';
import { compileFilters, type Filter } from '../core/filters.js';
import { checkIds, newId } from '../core/ids.js';
import { tagsFromSpecs, type TagSpecification } from '../core/tags.js';
import { date, type Ec2Env, type TypedOps } from '../env.js';
import type * as S from '../shapes.gen.js';
import { generateKey, importKey, type KeyMaterial } from '../keys.js';
import type { KeyPairRec } from '../records.js';

function checkName(name: string | undefined): string {
  if (!name) throw missingParameter('KeyName');
  if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) throw invalidParameter(`Value (${name}) for parameter keyName is invalid. Key names must be 1-255 ASCII characters.`);
  return name;
}

async function store(env: Ec2Env, accountId: string, name: string, m: KeyMaterial, specs: TagSpecification[] | undefined): Promise<KeyPairRec> {
  const tags = tagsFromSpecs(specs, ['key-pair']).get('key-pair');
  const rec: KeyPairRec = { id: newId('key'), KeyName: name, KeyType: m.keyType, KeyFingerprint: m.fingerprint, PublicKey: m.publicKey, CreateTime: env.now(), Tags: tags };
  const ok = await env.store.transact(accountId, (tx) => {
    if (tx.get('meta', `keyname/${name}`)) return false;
    tx.put('meta', `keyname/${name}`, rec.id);
    tx.put('keypair', rec.id, rec);
    return true;
  });
  if (!ok) throw new AwsError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
  return rec;
}

export const keyPairOps: TypedOps = {
  async CreateKeyPair(env, ctx, input: S.CreateKeyPairInput) {
    const name = checkName(input.KeyName);
    const type = input.KeyType ?? 'rsa';
    if (type !== 'rsa' && type !== 'ed25519') throw invalidParameter(`Value (${type}) for parameter keyType is invalid. Valid values are: rsa, ed25519.`);
    const format = input.KeyFormat ?? 'pem';
    if (format !== 'pem') throw invalidParameter(`The key format '${format}' is not supported by this gateway; use pem.`);
    tagsFromSpecs(input.TagSpecifications, ['key-pair']);
    if (input.DryRun) throw dryRunOk();
    if (await env.store.get(ctx.accountId, 'meta', `keyname/${name}`)) throw new AwsError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
    const m = generateKey(type, name);
    const rec = await store(env, ctx.accountId, name, m, input.TagSpecifications);
    return { KeyFingerprint: rec.KeyFingerprint, KeyMaterial: m.privateKey, KeyName: name, KeyPairId: rec.id, Tags: rec.Tags };
  },

  async ImportKeyPair(env, ctx, input: S.ImportKeyPairInput) {
    const name = checkName(input.KeyName);
    if (!input.PublicKeyMaterial || input.PublicKeyMaterial.length === 0) throw missingParameter('PublicKeyMaterial');
    const m = importKey(input.PublicKeyMaterial);
    tagsFromSpecs(input.TagSpecifications, ['key-pair']);
    if (input.DryRun) throw dryRunOk();
    const rec = await store(env, ctx.accountId, name, m, input.TagSpecifications);
    return { KeyFingerprint: rec.KeyFingerprint, KeyName: name, KeyPairId: rec.id, Tags: rec.Tags };
  },

  async DescribeKeyPairs(env, ctx, input: S.DescribeKeyPairsInput) {
    const ids = checkIds('key', input.KeyPairIds ?? []);
    const names = input.KeyNames ?? [];
    const all = await env.store.list<KeyPairRec>(ctx.accountId, 'keypair');
    const missingNames = names.filter((n) => !all.some((k) => k.KeyName === n));
    if (missingNames.length) throw notFound('keypair', missingNames);
    const missingIds = ids.filter((id) => !all.some((k) => k.id === id));
    if (missingIds.length) throw notFound('keypair', missingIds);
    const match = compileFilters<KeyPairRec>(
      input.Filters,
      { 'key-pair-id': (k) => k.id, 'key-name': (k) => k.KeyName, fingerprint: (k) => k.KeyFingerprint, 'key-type': (k) => k.KeyType },
      (k) => k.Tags,
    );
    const picked = all.filter((k) => (!names.length || names.includes(k.KeyName)) && (!ids.length || ids.includes(k.id)) && match(k));
    return {
      KeyPairs: picked.map((k) => ({
        KeyPairId: k.id,
        KeyFingerprint: k.KeyFingerprint,
        KeyName: k.KeyName,
        KeyType: k.KeyType,
        Tags: k.Tags ?? [],
        PublicKey: input.IncludePublicKey ? k.PublicKey : undefined,
        CreateTime: date(k.CreateTime),
      })),
    };
  },

  async DeleteKeyPair(env, ctx, input: S.DeleteKeyPairInput) {
    if (!input.KeyName && !input.KeyPairId) throw missingParameter('KeyName or KeyPairId');
    if (input.KeyPairId) checkIds('key', [input.KeyPairId]);
    if (input.DryRun) throw dryRunOk();
    const deleted = await env.store.transact(ctx.accountId, (tx) => {
      const id = input.KeyPairId ?? tx.get<string>('meta', `keyname/${input.KeyName}`);
      if (!id) return undefined;
      const k = tx.get<KeyPairRec>('keypair', id);
      if (!k || (input.KeyName && k.KeyName !== input.KeyName)) return undefined;
      tx.delete('keypair', id);
      tx.delete('meta', `keyname/${k.KeyName}`);
      return id;
    });
    return { Return: true, KeyPairId: deleted };
  },
};

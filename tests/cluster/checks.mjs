// Consistency across instances behind HAProxy (issue 7, first part), driven with @hapi/hawk.
// Env: LKM_LB (load balancer base URL), LKM_INSTANCES (comma-separated instance base URLs),
//      LKM_ADMIN_ID, LKM_ADMIN_KEY. Prints one line per check; exits non-zero on the first failure.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { admin, call, encryptFor, instances, lb, newGenesysCredential, pass, sleep } from './lib.mjs';

// A credential created through the balancer works on every instance at once.
const genesys = await newGenesysCredential('genesys-cluster');
for (const base of instances) {
    assert.equal((await call(base, genesys, 'GET', '/keypair')).status, 200, base);
}
pass('a credential created through the balancer works on every instance at once');

// The very same header sent through the balancer twice reaches two instances (round robin; the
// balancer names the instance that answered): the second is refused as a replay.
const once = await call(lb, genesys, 'GET', '/keypair');
const twice = await call(lb, genesys, 'GET', '/keypair', undefined, { header: once.header });
assert.equal(once.status, 200);
assert.equal(twice.status, 401);
assert.notEqual(twice.headers.get('x-lkm-server'), once.headers.get('x-lkm-server'));
pass('the same Hawk header is accepted once across instances');

// Keypairs created concurrently through the balancer all exist once and all decrypt, everywhere.
const created = await Promise.all(Array.from({ length: 8 }, () => call(lb, genesys, 'POST', '/keypair')));
assert.ok(created.every(c => c.status === 200));
const ids = created.map(c => c.json.id);
assert.equal(new Set(ids).size, ids.length);
const listed = (await call(instances[1], genesys, 'GET', '/keypair')).json.map(k => k.id);
for (const id of ids) assert.equal(listed.filter(x => x === id).length, 1, id);
for (const [i, c] of created.entries()) {
    const secret = crypto.randomBytes(32);
    const body = encryptFor(c.json.publicKey, secret);
    const res = await call(instances[i % instances.length], genesys, 'POST', '/decrypt', { keypairId: c.json.id, body });
    assert.equal(res.status, 200);
    assert.equal(Buffer.from(res.json.body, 'base64').toString('hex'), secret.toString('hex'));
}
pass('8 keypairs created concurrently through two instances exist exactly once and decrypt on either');

// Disabling a keypair through one instance stops decrypts on the other within 5 s.
const target = created[0].json;
assert.equal((await call(instances[0], admin, 'POST', `/keypair/${target.id}/disable`)).status, 200);
const ct0 = encryptFor(target.publicKey, Buffer.alloc(32));
let disabledAfter;
const t0 = Date.now();
while (Date.now() - t0 < 6000) {
    const res = await call(instances[1], genesys, 'POST', '/decrypt', { keypairId: target.id, body: ct0 });
    if (res.status === 403) { disabledAfter = Date.now() - t0; break; }
    await sleep(100);
}
assert.ok(disabledAfter !== undefined && disabledAfter <= 5000, `disable took ${disabledAfter} ms`);
pass(`a keypair disabled through one instance refuses decrypts on the other after ${disabledAfter} ms (limit 5000)`);

// Revoking a credential through one instance stops it on the other within 1 s.
assert.equal((await call(instances[1], genesys, 'GET', '/keypair')).status, 200);
assert.equal((await call(instances[0], admin, 'POST', `/auth/${genesys.id}/revoke`)).status, 200);
let revokedAfter;
const t1 = Date.now();
while (Date.now() - t1 < 3000) {
    if ((await call(instances[1], genesys, 'GET', '/keypair')).status === 401) { revokedAfter = Date.now() - t1; break; }
    await sleep(50);
}
assert.ok(revokedAfter !== undefined && revokedAfter <= 1000, `revocation took ${revokedAfter} ms`);
pass(`a credential revoked through one instance is refused by the other after ${revokedAfter} ms (limit 1000)`);

console.log('ALL PASSED');

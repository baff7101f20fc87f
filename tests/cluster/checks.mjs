// Consistency across instances behind HAProxy (issue 7, first part), driven with @hapi/hawk.
// Env: LKM_LB (load balancer base URL), LKM_INSTANCES (comma-separated instance base URLs),
//      LKM_ADMIN_ID, LKM_ADMIN_KEY. Prints one line per check; exits non-zero on the first failure.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import Hawk from '@hapi/hawk';
import { admin, call, encryptFor, instances, lb, newGenesysCredential, pass, path, sleep } from './lib.mjs';

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
// And at the same moment: one fresh header, signed for the balancer, sent straight to every instance
// at once (as the balancer would forward it) is accepted exactly once.
const forwarded = { 'X-Forwarded-Host': new URL(lb).host, 'X-Forwarded-Proto': 'http' };
for (let round = 0; round < 5; round++) {
    const { header } = Hawk.client.header(lb + path('/keypair'), 'GET', { credentials: genesys });
    const answers = await Promise.all(instances.map(base => call(base, genesys, 'GET', '/keypair', undefined, { header, headers: forwarded })));
    assert.deepEqual(answers.map(a => a.status).sort(), [200, ...instances.slice(1).map(() => 401)], `round ${round}`);
}
pass('the same Hawk header is accepted once across instances, one after the other and at the same moment');

// Keypairs created concurrently through the balancer all exist once and all decrypt, everywhere.
const created = await Promise.all(Array.from({ length: 8 }, () => call(lb, genesys, 'POST', '/keypair')));
assert.ok(created.every(c => c.status === 200));
const ids = created.map(c => c.json.id);
assert.equal(new Set(ids).size, ids.length);
const listed = (await call(instances[1], genesys, 'GET', '/keypair')).json.map(k => k.id);
for (const id of ids) assert.equal(listed.filter(x => x === id).length, 1, id);
for (const c of created) {
    for (const base of instances) {
        const secret = crypto.randomBytes(32);
        const res = await call(base, genesys, 'POST', '/decrypt', { keypairId: c.json.id, body: encryptFor(c.json.publicKey, secret) });
        assert.equal(res.status, 200, `${base}: ${res.text}`);
        assert.equal(Buffer.from(res.json.body, 'base64').toString('hex'), secret.toString('hex'));
    }
}
pass('8 keypairs created concurrently through the balancer exist exactly once and decrypt on every instance');

// A decrypt's nonce is recorded in the same commit as its log entry, after the decryption: one fresh
// decrypt header sent to every instance at once still gets exactly one answer with the plaintext.
for (let round = 0; round < 5; round++) {
    const secret = crypto.randomBytes(32);
    const body = { keypairId: created[1].json.id, body: encryptFor(created[1].json.publicKey, secret) };
    const { header } = Hawk.client.header(lb + path('/decrypt'), 'POST', { credentials: genesys, payload: JSON.stringify(body), contentType: 'application/json' });
    const answers = await Promise.all(instances.map(base => call(base, genesys, 'POST', '/decrypt', body, { header, headers: forwarded })));
    assert.deepEqual(answers.map(a => a.status).sort(), [200, ...instances.slice(1).map(() => 401)], `decrypt round ${round}`);
    assert.equal(Buffer.from(answers.find(a => a.status === 200).json.body, 'base64').toString('hex'), secret.toString('hex'));
    for (const refused of answers.filter(a => a.status === 401)) {
        assert.equal(refused.headers.get('www-authenticate'), 'Hawk error="Invalid nonce"');
        assert.ok(!refused.text.includes(body.body) && !refused.text.includes(secret.toString('base64')), 'a refused decrypt carries no plaintext');
    }
}
pass('one decrypt header sent to every instance at once is answered once, the others 401 Invalid nonce');

// Disabling a keypair through one instance stops decrypts on the others within 5 s, even where the
// keypair was just read (and so sits in that instance's memory).
const target = created[0].json;
const ct0 = encryptFor(target.publicKey, Buffer.alloc(32));
for (const base of instances) {
    assert.equal((await call(base, genesys, 'POST', '/decrypt', { keypairId: target.id, body: ct0 })).status, 200);
}
assert.equal((await call(instances[0], admin, 'POST', `/keypair/${target.id}/disable`)).status, 200);
const disabledAfter = await Promise.all(instances.slice(1).map(async base => {
    const t0 = Date.now();
    while (Date.now() - t0 < 6000) {
        const res = await call(base, genesys, 'POST', '/decrypt', { keypairId: target.id, body: ct0 });
        if (res.status === 403) return Date.now() - t0;
        assert.equal(res.status, 200);
        await sleep(50);
    }
    return undefined;
}));
assert.ok(disabledAfter.every(ms => ms !== undefined && ms <= 5000), `disable took ${disabledAfter} ms`);
pass(`a keypair disabled through one instance (and cached on the others) refuses decrypts on the others after ${disabledAfter.join(' and ')} ms (limit 5000)`);

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

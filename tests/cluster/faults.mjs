// Faults under load (issue 7, part 3), driven with @hapi/hawk through HAProxy. A bounded load of
// signed decrypts of known secrets runs throughout; every answer is classified (right plaintext,
// wrong plaintext, 4xx, 5xx, connection error, timeout) with the instance that gave it. Faults:
// kill -9 of an instance, PostgreSQL down for 10 s, kill -9 during keypair creation and during
// `master-key rotate`, clock skew. At the end every failure must be explained by a fault (in flight
// on a killed instance, or a 503 problem during the outage), no plaintext is ever wrong, and every
// decrypt the client saw succeed has its request-log row.
// Env: as lib.mjs, plus LKM_CLUSTER_DIR (scripts/cluster-ctl.sh). Exits non-zero on a failure.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import Hawk from '@hapi/hawk';
import { admin, call, ctl, ctlAsync, encryptFor, instances, lb, newGenesysCredential, pass, pick, report, sleep } from './lib.mjs';

const CONCURRENCY = 4;
const run = crypto.randomBytes(3).toString('hex');
const genesys = await newGenesysCredential('genesys-faults');

// Keys for the load, each with ciphertexts of known secrets.
const keys = [];
for (let i = 0; i < 3; i++) {
    const created = await call(lb, genesys, 'POST', '/keypair');
    assert.equal(created.status, 200);
    const samples = Array.from({ length: 16 }, () => {
        const secret = crypto.randomBytes(32);
        return { body: encryptFor(created.json.publicKey, secret), secret: secret.toString('hex') };
    });
    keys.push({ id: created.json.id, samples });
}

/** Signed decrypts through the balancer, CONCURRENCY at a time, each with its own PureCloud-User-Id. */
class Load {
    events = [];
    #running = false;
    #workers = [];
    #seq = 0;

    start() {
        this.#running = true;
        this.#workers = Array.from({ length: CONCURRENCY }, () => this.#worker());
    }

    async stop() {
        this.#running = false;
        await Promise.all(this.#workers);
    }

    async #worker() {
        while (this.#running) {
            const key = pick(keys);
            const sample = pick(key.samples);
            const userId = `load-${run}-${this.#seq++}`;
            const start = Date.now();
            let res;
            try {
                res = await call(lb, genesys, 'POST', '/decrypt', { keypairId: key.id, body: sample.body }, { userId, timeout: 15000 });
            } catch (error) {
                const kind = error.name === 'TimeoutError' ? 'timeout' : 'connection';
                this.events.push({ kind, error: String(error.cause?.code ?? error.message), start, end: Date.now(), userId });
                continue;
            }
            // X-LKM-Server is added to answers that came from an instance, never to HAProxy's own.
            const event = { status: res.status, server: res.headers.get('x-lkm-server') };
            if (res.status === 200) {
                // Anything but the right secret in a 200 is a wrong answer, whatever its shape.
                const body = typeof res.json?.body === 'string' ? Buffer.from(res.json.body, 'base64').toString('hex') : undefined;
                event.kind = body === sample.secret ? 'ok' : 'wrong';
            } else {
                event.kind = res.status >= 500 ? '5xx' : '4xx';
                event.problem = (res.headers.get('content-type') ?? '').startsWith('application/problem+json');
                event.detail = res.text.slice(0, 200);
            }
            this.events.push({ ...event, start, end: Date.now(), userId });
            await sleep(5);
        }
    }

    /** Events that overlap [t0, t1). */
    between(t0, t1) {
        return this.events.filter(e => e.end >= t0 && e.start < t1);
    }
}

const count = (events, by) => events.reduce((acc, e) => ({ ...acc, [by(e)]: (acc[by(e)] ?? 0) + 1 }), {});
const kindOf = e => (e.status ? `${e.kind} ${e.status}` : e.kind);
const failures = events => events.filter(e => e.kind !== 'ok');
const explained = [];   // [predicate, reason]: failures a fault explains

async function until(what, check, timeoutMs, stepMs = 100) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
        if (await check()) return Date.now() - t0;
        await sleep(stepMs);
    }
    throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const ready = async base => (await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(6000) }).catch(() => ({ status: 0 }))).status;

async function restart(i) {
    const t0 = Date.now();
    await ctlAsync('start', String(i));
    await until(`instance ${i} ready after restart`, async () => (await ready(instances[i - 1])) === 200, 60000, 200);
    return Date.now() - t0;
}

/**
 * kill -9 without pausing the load (the signal goes out from a child process; the event loop keeps
 * sending and reading). Returns when the process is gone. Only requests in flight at that moment
 * may fail, as a connection error or a 5xx.
 */
async function killNine(i) {
    const signalledAt = Date.now();
    await ctlAsync('kill', String(i));
    const killedAt = Date.now();
    explained.push([e => e.start <= killedAt + 100 && e.end >= signalledAt && (e.kind === 'connection' || e.kind === '5xx'), `in flight when instance ${i} was killed`]);
    return killedAt;
}

/** Requests sent straight to instance i that are still running: a kill now must cut them off. */
function keypairCreationsOn(i, n) {
    const results = [];
    const all = Array.from({ length: n }, () => call(instances[i - 1], genesys, 'POST', '/keypair')
        .then(r => results.push({ status: r.status, id: r.json?.id }), e => results.push({ error: String(e.cause?.code ?? e.message) })));
    return { results, done: Promise.all(all) };
}

const load = new Load();
load.start();

// Baseline.
await sleep(3000);
assert.ok(load.events.length > 50, `only ${load.events.length} decrypts in 3 s`);
assert.deepEqual(count(load.events, kindOf), { 'ok 200': load.events.length }, 'the baseline has failures');
assert.equal(new Set(load.events.map(e => e.server)).size, instances.length, 'the balancer uses every instance');
pass(`baseline: ${load.events.length} decrypts through ${instances.length} instances, all right`);

// 1. kill -9 one instance under load, then restart it. Two keypair creations sent straight to it
//    (RSA-3072 generation takes a while) make sure something is in flight when it dies.
{
    const doomed = keypairCreationsOn(2, 2);
    await sleep(30);
    const killedAt = await killNine(2);
    await doomed.done;
    assert.ok(doomed.results.some(r => r.error), `nothing was in flight on the instance when it died: ${JSON.stringify(doomed.results)}`);
    assert.ok(doomed.results.every(r => r.error || r.status === 200), `in-flight requests: ${JSON.stringify(doomed.results)}`);
    await sleep(4000);
    const inFlight = failures(load.between(killedAt - 15000, Date.now()));
    assert.ok(inFlight.length <= CONCURRENCY, `${inFlight.length} failures for ${CONCURRENCY} requests in flight`);
    // "After the kill" allows 100 ms: the time between the process dying and this script seeing
    // it gone, during which HAProxy may still have handed it a request.
    assert.ok(inFlight.every(e => e.start <= killedAt + 100), `a request sent after the kill failed: ${JSON.stringify(inFlight.map(e => ({ ...e, start: e.start - killedAt, end: e.end - killedAt })))}`);
    const after = load.between(killedAt + 3000, Date.now());
    assert.ok(after.length > 0 && after.every(e => e.kind === 'ok' && e.server !== 'i2'), 'the balancer still sends to the dead instance');
    const restartMs = await restart(2);
    const restartedAt = Date.now();
    const rejoinMs = await until('instance 2 back in rotation', () => load.events.some(e => e.start >= restartedAt && e.server === 'i2'), 15000);
    assert.deepEqual(failures(load.between(killedAt + 1, Date.now())).filter(e => e.start > killedAt + 100), []);
    const cut = doomed.results.filter(r => r.error).length;
    await report('kill -9 under load', { loadFailed: inFlight.length, loadFailures: count(inFlight, kindOf), directRequestsCut: cut, okWhileDown: after.length, restartToReadyMs: restartMs, rejoinAfterReadyMs: rejoinMs });
    pass(`kill -9 of one instance: ${cut} request(s) sent straight to it and ${inFlight.length} of the load were in flight and failed (${JSON.stringify(count(inFlight, kindOf))}), none sent after; it rejoined ${rejoinMs} ms after it was ready`);
}

// 2. PostgreSQL down for 10 s under load. The balancer checks liveness, so the instances stay in
//    rotation and answer the 503 problems themselves (HAProxy's own 503 would carry no X-LKM-Server).
{
    // A request may fail from the moment the command is issued (stopping takes a while), as with
    // killNine's signalledAt; the outage is measured from when the command returned.
    const stoppingAt = Date.now();
    await ctlAsync('pg-down');
    const downAt = Date.now();
    const readyFailsMs = await Promise.all(instances.map(base =>
        until(`${base}/health/ready fails`, async () => (await ready(base)) === 503, 8000, 100).then(() => Date.now() - downAt)));
    await sleep(Math.max(0, downAt + 10000 - Date.now()));
    await ctlAsync('pg-up');
    const upAt = Date.now();
    explained.push([e => e.kind === '5xx' && e.status === 503 && e.problem && e.server && e.start < upAt + 5000 && e.end > stoppingAt - 50, 'database down']);
    const readyBackMs = await Promise.all(instances.map(base =>
        until(`${base}/health/ready after the database returned`, async () => (await ready(base)) === 200, 5000, 50).then(() => Date.now() - upAt)));
    await until('a decrypt succeeds after the database returned', () => load.events.some(e => e.start >= upAt && e.kind === 'ok'), 5000, 20);
    const firstOkMs = Math.min(...load.events.filter(e => e.start >= upAt && e.kind === 'ok').map(e => e.end)) - upAt;
    await sleep(Math.max(0, upAt + 8000 - Date.now()));
    const outage = load.between(downAt, upAt);
    const failed = failures(outage);
    assert.ok(failed.length > 0, 'no decrypt failed while the database was down');
    assert.deepEqual(failed.filter(e => !(e.kind === '5xx' && e.status === 503 && e.problem && e.server)), [], 'only 503 problems from the instances while the database is down');
    assert.equal(new Set(failed.map(e => e.server)).size, instances.length, 'every instance answered 503 problems itself');
    const slowest = Math.max(...outage.map(e => e.end - e.start));
    assert.ok(slowest <= 5500, `a request took ${slowest} ms during the outage (limit 5 s)`);
    const settled = load.events.filter(e => e.start >= upAt + 5000);
    assert.ok(settled.length > 0 && settled.every(e => e.kind === 'ok'), `failures 5 s after the database returned: ${JSON.stringify(count(failures(settled), kindOf))}`);
    await report('PostgreSQL down 10 s', {
        requestsDuringOutage: outage.length, answers: count(outage, kindOf), slowestMs: slowest,
        readyFailsAfterMs: readyFailsMs, readyBackAfterMs: readyBackMs, firstDecryptAfterMs: firstOkMs,
    });
    pass(`PostgreSQL down 10 s: ${failed.length} answers were 503 problems from all ${instances.length} instances (slowest answer ${slowest} ms), /health/ready failed on every instance; ready again ${Math.max(...readyBackMs)} ms and decrypting ${firstOkMs} ms after it returned`);
}

// 2b. PostgreSQL hangs for 8 s (SIGSTOP: connections are accepted, nothing answers): no request
//     may hang past the 5 s API.md allows, and the service recovers by itself.
{
    const freezingAt = Date.now();
    await ctlAsync('pg-freeze');
    const frozenAt = Date.now();
    // Readiness probes during the hang answer 503 in time too, not when the database wakes up.
    await sleep(1000);
    const probes = await Promise.all(instances.map(async base => {
        const t0 = Date.now();
        return { status: await ready(base), ms: Date.now() - t0 };
    }));
    assert.ok(probes.every(p => p.status === 503 && p.ms <= 4000), `/health/ready while the database hangs: ${JSON.stringify(probes)}`);
    await sleep(Math.max(0, frozenAt + 8000 - Date.now()));
    await ctlAsync('pg-thaw');
    const thawedAt = Date.now();
    explained.push([e => e.kind === '5xx' && e.status === 503 && e.problem && e.server && e.start < thawedAt + 5000 && e.end > freezingAt - 50, 'database hanging']);
    await until('a decrypt succeeds after the database woke up', () => load.events.some(e => e.start >= thawedAt && e.kind === 'ok'), 10000, 20);
    await sleep(Math.max(0, thawedAt + 8000 - Date.now()));
    const hang = load.between(frozenAt, thawedAt);
    const failed = failures(hang);
    assert.ok(failed.length > 0, 'no decrypt failed while the database hung');
    assert.deepEqual(failed.filter(e => !(e.kind === '5xx' && e.status === 503 && e.problem && e.server)), [], 'only 503 problems from the instances while the database hangs');
    const slowest = Math.max(...hang.map(e => e.end - e.start));
    assert.ok(slowest <= 5500, `a request hung ${slowest} ms while the database did (limit 5 s): ${JSON.stringify(hang.filter(e => e.end - e.start > 5500).map(e => ({ ...e, start: e.start - frozenAt, end: e.end - frozenAt })))}`);
    const settled = load.events.filter(e => e.start >= thawedAt + 5000);
    assert.ok(settled.length > 0 && settled.every(e => e.kind === 'ok'), `failures 5 s after the database woke up: ${JSON.stringify(count(failures(settled), kindOf))}`);
    await report('PostgreSQL hanging 8 s', { requestsDuringHang: hang.length, answers: count(hang, kindOf), slowestMs: slowest, readyProbeMs: probes.map(p => p.ms) });
    pass(`PostgreSQL hanging 8 s: ${failed.length} answers were 503 problems (slowest answer ${slowest} ms, limit 5 s), /health/ready 503 on every instance in ${Math.max(...probes.map(p => p.ms))} ms at most; everything succeeds 5 s after it woke up`);
}

// 3. kill -9 an instance while it creates keypairs.
{
    const before = new Set((await call(lb, admin, 'GET', '/keypair')).json.map(k => k.id));
    const stormAt = Date.now();
    const creations = keypairCreationsOn(3, 24);
    const settled = creations.results;
    await until('a keypair created', () => settled.length > 0, 30000, 5);
    const killedAt = await killNine(3);
    // The same starvation reaches decrypts the balancer sent instance 3 meanwhile: one may miss
    // its request-log deadline and get the fail-closed 503 (CI saw two, answered 8 ms before the kill).
    explained.push([e => e.kind === '5xx' && e.status === 503 && e.problem && e.server === 'i3' && e.start >= stormAt - 50 && e.start <= killedAt, 'instance 3 starved by 24 keypair generations']);
    await creations.done;
    const answered = settled.filter(s => s.status === 200).map(s => s.id);
    const cut = settled.filter(s => s.error);
    assert.ok(cut.length > 0, 'every creation finished before the kill: nothing was interrupted');
    // 24 RSA-3072 generations at once starve the instance's 2 cores: an answer may also be a 503
    // (its audit record did not commit within 4 s), which the client retries.
    assert.ok(settled.every(s => s.status === 200 || s.status === 503 || s.error), `unexpected answers: ${JSON.stringify(settled)}`);
    await restart(3);
    const listed = (await call(lb, admin, 'GET', '/keypair')).json.filter(k => !before.has(k.id));
    for (const id of answered) assert.ok(listed.some(k => k.id === id), `keypair ${id} was answered 200 but is missing`);
    for (const k of listed) {
        const secret = crypto.randomBytes(32);
        const res = await call(lb, genesys, 'POST', '/decrypt', { keypairId: k.id, body: encryptFor(k.publicKey, secret) });
        assert.equal(res.status, 200, `keypair ${k.id} does not decrypt: ${res.text}`);
        assert.equal(Buffer.from(res.json.body, 'base64').toString('hex'), secret.toString('hex'));
    }
    await report('kill -9 during keypair creation', { requested: settled.length, answered200: answered.length, cut: cut.length, stored: listed.length });
    pass(`kill -9 during keypair creation: ${answered.length} answered, ${cut.length} cut off, ${listed.length} stored, every stored key decrypts`);
}

// 4. kill -9 during `master-key rotate`, then resume.
{
    const credentials = [];
    for (let i = 0; i < 20; i++) {
        credentials.push(...await Promise.all(Array.from({ length: 10 }, () => newGenesysCredential('rotation'))));
    }
    const startedAt = Date.now();
    const rotate = spawn('bash', ['scripts/cluster-ctl.sh', 'lkm', 'master-key', 'rotate', '--batch', '1', '--progress'], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Keypairs are re-wrapped first, then credentials: kill it in the middle of the credentials.
    let progress = 0;
    const exited = new Promise(resolve => rotate.on('exit', (code, signal) => resolve(signal ?? code)));
    rotate.stderr.on('data', chunk => {
        progress += (String(chunk).match(/re-wrapped \d+ credential/g) ?? []).length;
        if (progress >= 5) rotate.kill('SIGKILL');
    });
    assert.equal(await exited, 'SIGKILL', 'the rotation finished before it could be killed');
    const usage = JSON.parse(await ctlAsync('lkm', 'master-key', 'status')).usage;
    assert.ok(usage['local:v1'] > 0 && usage['local:v2'] > 0, `not a half-done rotation: ${JSON.stringify(usage)}`);
    // Half rotated: every credential and every key works, on every instance.
    const half = (await call(lb, admin, 'GET', '/keypair')).json.filter(k => k.state === 'enabled');
    for (const base of instances) {
        for (let i = 0; i < credentials.length; i += 20) {
            const answers = await Promise.all(credentials.slice(i, i + 20).map(c => call(base, c, 'GET', '/keypair/' + half[0].id)));
            assert.ok(answers.every(a => a.status === 200), `${base}: a credential fails half-way through the rotation`);
        }
        for (const k of half) {
            const secret = crypto.randomBytes(32);
            const res = await call(base, genesys, 'POST', '/decrypt', { keypairId: k.id, body: encryptFor(k.publicKey, secret) });
            assert.equal(res.status, 200, `${base}: keypair ${k.id} half-way through the rotation: ${res.text}`);
            assert.equal(Buffer.from(res.json.body, 'base64').toString('hex'), secret.toString('hex'));
        }
    }
    const resumed = JSON.parse(await ctlAsync('lkm', 'master-key', 'rotate', '--resume'));
    assert.deepEqual(Object.keys(resumed.usage), ['local:v2'], `after --resume: ${JSON.stringify(resumed.usage)}`);
    const all = (await call(lb, admin, 'GET', '/keypair')).json;
    for (const k of all) {
        if (k.state && k.state !== 'enabled') continue;
        const secret = crypto.randomBytes(32);
        const res = await call(lb, genesys, 'POST', '/decrypt', { keypairId: k.id, body: encryptFor(k.publicKey, secret) });
        assert.equal(res.status, 200, `keypair ${k.id} after rotation: ${res.text}`);
        assert.equal(Buffer.from(res.json.body, 'base64').toString('hex'), secret.toString('hex'));
    }
    for (const c of credentials) {
        assert.equal((await call(lb, c, 'GET', '/keypair')).status, 200, `credential ${c.id} after rotation`);
    }
    await ctlAsync('lkm', 'master-key', 'retire', '--version', '1');
    for (const base of instances) {
        const k = pick(keys);
        const sample = pick(k.samples);
        const res = await call(base, genesys, 'POST', '/decrypt', { keypairId: k.id, body: sample.body });
        assert.equal(res.status, 200, `${base} after retiring version 1`);
    }
    const rotationFailures = failures(load.between(startedAt, Date.now()));
    assert.deepEqual(rotationFailures, [], 'decrypts failed during the rotation');
    await report('kill -9 during master-key rotate', { killedAfterCredentialRewraps: progress, usageAtKill: usage, checkedHalfWay: { instances: instances.length, credentials: credentials.length, keypairs: half.length }, rewrappedOnResume: resumed.rewrappedKeypairs + resumed.rewrappedCredentials, keypairsChecked: all.length, credentialsChecked: credentials.length });
    pass(`kill -9 during master-key rotate (${JSON.stringify(usage)} at the kill): half-way every credential and keypair worked on every instance; --resume finished it, all ${all.length} keypairs and ${credentials.length} credentials work, version 1 retired, no decrypt failed meanwhile`);
}

// 5. Clock skew through the balancer: the tsm answer lets the client correct itself.
for (const skew of [300_000, -300_000]) {
    const refused = await call(lb, genesys, 'GET', '/keypair', undefined, { offset: skew });
    assert.equal(refused.status, 401);
    const www = refused.headers.get('www-authenticate');
    assert.match(www, /error="Stale timestamp"/);
    const ts = Number(/ts="(\d+)"/.exec(www)?.[1]);
    const tsm = /tsm="([^"]+)"/.exec(www)?.[1];
    assert.equal(tsm, Hawk.crypto.calculateTsMac(ts, genesys), `tsm does not verify: ${www}`);
    const corrected = skew + (ts * 1000 - (Date.now() + skew));
    for (const base of [...instances, lb, lb, lb]) {
        const res = await call(base, genesys, 'GET', '/keypair', undefined, { offset: corrected });
        assert.equal(res.status, 200, `${base} after correcting by the server's ts: ${res.text}`);
    }
    pass(`clock ${skew / 1000} s off: 401 with a valid tsm through the balancer; corrected by it, the client succeeds on every instance`);
}

await load.stop();

// Every failure is explained by a fault; no plaintext was ever wrong; no success lost its log row.
const all = load.events;
assert.deepEqual(all.filter(e => e.kind === 'wrong'), [], 'a decrypt returned a wrong plaintext');
const unexplained = failures(all).filter(e => !explained.some(([allowed]) => allowed(e)));
assert.deepEqual(unexplained, [], 'failures no fault explains');
const successes = all.filter(e => e.kind === 'ok');
const logged = new Set(ctl('psql', `SELECT user_id FROM request_log WHERE status = 200 AND user_id LIKE 'load-${run}-%'`).split('\n'));
const lost = successes.filter(e => !logged.has(e.userId));
assert.deepEqual(lost.map(e => e.userId), [], 'successful decrypts without their request-log row');
await report('load over all faults', { requests: all.length, answers: count(all, kindOf), successesWithLogRow: successes.length - lost.length, successes: successes.length });
pass(`load over all faults: ${all.length} decrypts, ${JSON.stringify(count(all, kindOf))}, no wrong plaintext, every failure explained by a fault, all ${successes.length} successes have their request-log row`);
console.log('ALL PASSED');

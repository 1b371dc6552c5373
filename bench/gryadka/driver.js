// A closed-loop load against Gryadka, the CASPaxos reference implementation
// (Node.js proposers over Redis acceptors; npm package "gryadka"), for
// bench/compare.sh: one proposer in this process, three Redis acceptors,
// CONC requests in flight, each an increment of a random key out of KEYS.
// Prints its summary in parnik-bench's format ("summary: ... ops/s;" and
// "latency us: p50 ... p90 ... p99 ... p99.9 ..."), latency of the changes
// that succeeded.
//
//   node driver.js --ports 6391,6392,6393 [--host 127.0.0.1] [--conc C]
//                  [--seconds S] [--keys K]
"use strict";
const fs = require("fs");
const path = require("path");
const {Cache, AcceptorClient, Proposer} = require("gryadka");

function args() {
    const o = {host: "127.0.0.1", ports: [], conc: 1, seconds: 4, keys: 1000};
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i += 2) {
        const v = a[i + 1];
        if (v === undefined) throw new Error(`${a[i]} needs a value`);
        switch (a[i]) {
        case "--host": o.host = v; break;
        case "--ports": o.ports = v.split(",").map(Number); break;
        case "--conc": o.conc = Number(v); break;
        case "--seconds": o.seconds = Number(v); break;
        case "--keys": o.keys = Number(v); break;
        default: throw new Error(`unknown option ${a[i]}`);
        }
    }
    if (o.ports.length !== 3) throw new Error("--ports needs three Redis ports");
    return o;
}

function percentile(sorted, q) {
    if (sorted.length === 0) return 0;
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main() {
    const o = args();
    const lua = path.join(path.dirname(require.resolve("gryadka")), "src", "lua");
    const acceptors = [];
    for (const port of o.ports) {
        const probe = new AcceptorClient({storage: {host: o.host, port}});
        probe.start();
        const prepare = await probe.redis.scriptAsync("load", fs.readFileSync(path.join(lua, "prepare.lua"), "utf8"));
        const accept = await probe.redis.scriptAsync("load", fs.readFileSync(path.join(lua, "accept.lua"), "utf8"));
        probe.close();
        const a = new AcceptorClient({storage: {host: o.host, port}, prepare, accept, isTransient: false});
        a.start();
        acceptors.push(a);
    }
    const proposer = new Proposer(new Cache(1), acceptors, {read: 2, write: 2});
    const lat = [];
    let ok = 0, refused = 0, unknown = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(o.seconds * 1e9));
    async function worker() {
        while (process.hrtime.bigint() < end) {
            const key = "k" + Math.floor(Math.random() * o.keys);
            const t0 = process.hrtime.bigint();
            const r = await proposer.changeQuery(key, x => [(x || 0) + 1, null], x => x);
            const t1 = process.hrtime.bigint();
            if (r.status === "OK") {
                ok++;
                lat.push(Number(t1 - t0) / 1000);
            } else if (r.status === "NO") {
                refused++;	// a conflict or the key's lock held by another request
            } else {
                unknown++;
            }
        }
    }
    await Promise.all(Array.from({length: o.conc}, worker));
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    lat.sort((x, y) => x - y);
    const f = v => v.toFixed(1);
    console.log(`summary: ${ok} ops in ${secs.toFixed(2)} s, ${Math.round(ok / secs)} ops/s; ` +
                `closed loop, ${o.conc} in flight, ${o.keys} keys, increments; ` +
                `${refused} refused, ${unknown} unknown`);
    console.log(`latency us: p50 ${f(percentile(lat, 0.5))}  p90 ${f(percentile(lat, 0.9))}  ` +
                `p99 ${f(percentile(lat, 0.99))}  p99.9 ${f(percentile(lat, 0.999))}  ` +
                `max ${f(lat.length ? lat[lat.length - 1] : 0)}`);
    for (const a of acceptors) a.close();
}

main().catch(e => { console.error(`gryadka driver: ${e.message}`); process.exit(1); });

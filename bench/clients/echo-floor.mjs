#!/usr/bin/env node
// The round-trip floor of this machine for the single-send test: two Node processes, one
// writing a 150-byte request over 127.0.0.1 and awaiting a 60-byte answer from a server that
// does nothing else, N times. No broker and no client library can do an awaited send faster
// than this. Usage: node bench/clients/echo-floor.mjs [--round-trips N] [--repeat K]
import { spawn } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';

if (process.argv[2] === '--serve') {
  const answer = Buffer.alloc(60, 1);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', () => socket.write(answer));
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
} else {
  const { values: opt } = parseArgs({ options: { 'round-trips': { type: 'string', default: '30000' }, repeat: { type: 'string', default: '3' } } });
  const n = Number(opt['round-trips']);
  const server = spawn(process.execPath, [new URL(import.meta.url).pathname, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killTimer = setTimeout(() => {
    server.kill('SIGKILL');
    console.error('echo-floor: no result within 120 s');
    process.exit(1);
  }, 120_000);
  try {
    const port = await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    });
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const request = Buffer.alloc(150, 2);
    let answered = () => {};
    socket.on('data', () => answered());
    for (let r = 0; r < Number(opt.repeat); r++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await new Promise((resolve) => ((answered = resolve), socket.write(request)));
      const us = ((performance.now() - t0) * 1000) / n;
      console.log(`echo floor, run ${r + 1}: ${us.toFixed(1)} µs per round trip, ${Math.round(1e6 / us).toLocaleString('en-US')} round trips/s`);
    }
    socket.destroy();
  } finally {
    clearTimeout(killTimer);
    server.kill();
  }
}

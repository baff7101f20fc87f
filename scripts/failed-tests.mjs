// Prints each failed test of the CTRF reports in a directory (name, message, the top of its
// stack trace), so that a failure is readable at the end of a long run's output.
// Prints nothing when no test failed. Usage: node scripts/failed-tests.mjs <results-directory>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
for (const file of readdirSync(dir).filter(f => f.endsWith('.ctrf'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  for (const test of report.results?.tests ?? []) {
    if (test.status !== 'failed') continue;
    console.log(`FAILED ${test.name} (${test.duration} ms)`);
    const lines = [...(test.message ?? '').split('\n').slice(0, 20), ...(test.trace ?? '').split('\n').slice(0, 8)];
    for (const line of lines) if (line.trim()) console.log(`    ${line}`);
  }
}

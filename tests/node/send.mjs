// Sends the calls of a JSON file to Pulse with @segment/analytics-node, exactly as an app would.
// Usage: node send.mjs <host> <writeKey> <calls.json>
// Each call: {"type": "track"|"identify"|"group"|"page"|"screen"|"alias", ...Segment fields}.
import { readFileSync } from 'node:fs'
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, file] = process.argv.slice(2)
const calls = JSON.parse(readFileSync(file, 'utf8'))
const analytics = new Analytics({ writeKey, host, flushAt: 50, flushInterval: 100, maxRetries: 3 })
const failures = []
analytics.on('error', (error) => failures.push(String(error?.message ?? error)))

for (const { type, ...fields } of calls) {
  if (fields.timestamp) fields.timestamp = new Date(fields.timestamp)
  analytics[type](fields)
}
await analytics.closeAndFlush({ timeout: 15000 })
if (failures.length > 0) {
  console.error(`delivery failed: ${failures.join('; ')}`)
  process.exit(1)
}
console.log(`sent ${calls.length} calls`)

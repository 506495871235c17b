/**
 * Where a V8 CPU profile's time went (`node --cpu-prof`; `npm run bench -- --cpu-prof DIR` writes the server's):
 * self time by area (a package of node_modules, a folder of src/, Node's own, the GC, idle) and by function.
 *
 *   npx tsx bench/cpu-profile.ts DIR|FILE.cpuprofile [--top 30]
 * Reads the newest profile of a folder; the main thread's is the one of the process itself (threads write their own).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
})
const target = positionals[0]
if (!target) throw new Error('usage: cpu-profile.ts DIR|FILE.cpuprofile [--top 30]')

function newestProfile(where: string): string {
  if (!statSync(where).isDirectory()) return where
  const files = readdirSync(where)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(where, name))
    .sort((a, b) => statSync(b).size - statSync(a).size)
  const file = files[0]
  if (!file) throw new Error(`no .cpuprofile in ${where}`)
  return file
}

/** The area a frame belongs to: a package, a source folder, Node's own JavaScript, or V8's pseudo-frames. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : '(native)'
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (modules?.[1]) return modules[1]
  if (url.startsWith('node:')) return 'node'
  const source = /\/(src|dist)\/(.*)$/.exec(url)
  if (source?.[2]) {
    const parts = source[2].split('/')
    return parts.length > 1 ? `${source[1]}/${parts.slice(0, -1).join('/')}` : `${source[1]}/${parts[0]}`
  }
  return url
}

const file = newestProfile(target)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfMicros = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const total = profile.endTime - profile.startTime
const areas = new Map<string, number>()
const functions = new Map<string, number>()
for (const [id, micros] of selfMicros) {
  const node = byId.get(id)
  if (!node) continue
  const frame = node.callFrame
  const area = areaOf(frame)
  areas.set(area, (areas.get(area) ?? 0) + micros)
  const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : ''
  const name = `${frame.functionName || '(anonymous)'} ${where} [${area}]`
  functions.set(name, (functions.get(name) ?? 0) + micros)
}
const idle = areas.get('(idle)') ?? 0
const busy = total - idle
const share = (micros: number) => `${((micros / busy) * 100).toFixed(1)} %`
const ms = (micros: number) => `${(micros / 1000).toFixed(0)} ms`
const top = Number(values.top)
process.stdout.write(`${file}\n${ms(total)} profiled, ${ms(busy)} busy (shares below are of the busy time)\n\n`)
process.stdout.write('| area | self | share |\n|---|---|---|\n')
for (const [area, micros] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  if (area !== '(idle)') process.stdout.write(`| ${area} | ${ms(micros)} | ${share(micros)} |\n`)
}
process.stdout.write('\n| function | self | share |\n|---|---|---|\n')
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  if (!name.startsWith('(idle)')) process.stdout.write(`| ${name} | ${ms(micros)} | ${share(micros)} |\n`)
}

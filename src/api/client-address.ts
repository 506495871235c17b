import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * Who a request comes from when it passes reverse proxies (TRUST_PROXY). Every proxy appends the address
 * it saw to X-Forwarded-For, so reading from the right, the hops our own proxies added can be believed and
 * the first address that is not one of our proxies is the client; anything further left the client may
 * have written itself. A peer that is not a trusted proxy is the client, whatever its header says.
 */

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** The ranges of TRUST_PROXY's `loopback` word. */
const loopback: readonly string[] = ['127.0.0.0/8', '::1/128']

/** What is wrong with one TRUST_PROXY entry (an address, a CIDR range or `loopback`), in Russian; undefined if fine. */
export function trustProxyProblem(entry: string): string | undefined {
  if (entry === 'loopback') return undefined
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return `«${entry}» — не IP-адрес и не диапазон вида 10.0.0.0/8`
  if (bits === undefined) return undefined
  const max = family === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `«${entry}»: длина префикса должна быть от 0 до ${max}`
  return undefined
}

/** A matcher of the trusted proxies; the entries must have passed `trustProxyProblem`. */
export function trustedProxies(entries: readonly string[]): (address: string) => boolean {
  const ranges: Range[] = entries
    .flatMap((entry) => (entry === 'loopback' ? loopback : [entry]))
    .map((entry) => (entry.includes('/') ? ipaddr.parseCIDR(entry) : single(entry)))
  if (ranges.length === 0) return () => false
  return (address) => {
    const parsed = parse(address)
    return parsed !== undefined && ranges.some((range) => parsed.kind() === range[0].kind() && parsed.match(range))
  }
}

/**
 * The client's address: the peer, or, when the peer is a trusted proxy, the right-most X-Forwarded-For
 * hop that is not. A malformed hop ends the walk at the proxy that passed it on: that proxy is the last
 * address known for sure.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trusted: (address: string) => boolean,
): string {
  let client = normalise(peer)
  if (forwardedFor === undefined) return client
  const hops = forwardedFor
    .split(',')
    .map((hop) => hop.trim())
    .reverse()
  for (const hop of hops) {
    if (!trusted(client)) return client
    const address = parse(hop)
    if (address === undefined) return client
    client = address.toString()
  }
  return client
}

/** An IPv4 address seen through an IPv6 socket (`::ffff:10.0.0.1`) is the IPv4 address. */
export function normalise(address: string): string {
  return parse(address)?.toString() ?? address
}

/**
 * The part of an address one client controls, for the per-address limit: an IPv6 host usually holds a
 * whole /64 and may pick any address in it.
 */
export function addressBlock(address: string): string {
  const parsed = parse(address)
  if (parsed === undefined || parsed.kind() === 'ipv4') return address
  const parts = ipaddr.IPv6.parse(parsed.toString()).parts.slice(0, 4)
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`
}

function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (isIP(address) === 0) return undefined
  return ipaddr.process(address)
}

function single(address: string): Range {
  const parsed = ipaddr.process(address)
  return [parsed, parsed.kind() === 'ipv4' ? 32 : 128]
}

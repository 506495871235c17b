import { describe, expect, test } from 'vitest'
import { ConfigError, parseTrustProxy } from '#src/config.ts'
import { addressBlock, clientAddress, trustedProxies } from './client-address.ts'

describe('the client behind reverse proxies', () => {
  const trust = trustedProxies(parseTrustProxy('loopback, 10.0.0.0/8 2001:db8::1'))

  test.each([
    ['a peer that is not a proxy is the client, whatever it forwards', '192.0.2.7', '198.51.100.1', '192.0.2.7'],
    ['a trusted proxy: the address it saw', '10.1.2.3', '198.51.100.1', '198.51.100.1'],
    [
      'the right-most address that is not a proxy: what the client wrote itself is ignored',
      '127.0.0.1',
      '1.1.1.1, 198.51.100.1, 10.0.0.5',
      '198.51.100.1',
    ],
    ['an IPv4 address through an IPv6 socket', '::ffff:10.0.0.1', '::ffff:198.51.100.2', '198.51.100.2'],
    ['an IPv6 proxy', '2001:db8::1', '2001:db8:0:0:0:0:0:77', '2001:db8::77'],
    ['a malformed hop: the proxy that passed it on', '10.0.0.1', '198.51.100.1, <script>', '10.0.0.1'],
    ['no header', '10.0.0.1', undefined, '10.0.0.1'],
    ['every hop a proxy: the left-most', '10.0.0.1', '10.0.0.2, 10.0.0.3', '10.0.0.2'],
  ])('%s', (_, peer, forwarded, client) => {
    expect(clientAddress(peer, forwarded, trust)).toBe(client)
  })

  test('nothing is trusted unless configured', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.1', trustedProxies(parseTrustProxy('')))).toBe('127.0.0.1')
  })

  test('TRUST_PROXY refuses what is not an address or a range, in Russian', () => {
    for (const bad of ['proxy.local', '10.0.0.0/33', '::1/129', '10.0.0.1/8/2', '10.0.0']) {
      expect(() => parseTrustProxy(bad)).toThrow(ConfigError)
      expect(() => parseTrustProxy(bad)).toThrow(/TRUST_PROXY/)
    }
  })

  test('an IPv6 client is limited by its /64, an IPv4 one by its address', () => {
    expect(addressBlock('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressBlock('2001:db8:1:2:bbbb::9')).toBe('2001:db8:1:2::/64')
    expect(addressBlock('192.0.2.7')).toBe('192.0.2.7')
  })
})

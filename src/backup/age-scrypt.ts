import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import { type Identity, type Recipient, Stanza } from 'age-encryption'

/**
 * age's passphrase recipient (the `scrypt` stanza of age-encryption.org/v1), with the key derived by
 * Node's own scrypt. age-encryption derives it in JavaScript on the event loop: 2–3 s of a server that
 * answers nothing, twice per nightly backup (once to write, once to verify). `crypto.scrypt` runs in the
 * libuv pool and is several times faster; the stanza is byte for byte the one `age -p` writes and reads.
 */

const LABEL = 'age-encryption.org/v1/scrypt'
/** age's default work factor (2^18), what `age -p` writes; the reader accepts up to 2^20 as age does. */
export const DEFAULT_LOG_N = 18
const MAX_LOG_N = 20

function deriveKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const labelAndSalt = Buffer.concat([Buffer.from(LABEL), salt])
  const N = 2 ** logN
  return new Promise((resolve, reject) => {
    scrypt(passphrase, labelAndSalt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}

const ZERO_NONCE = Buffer.alloc(12)

export class NativeScryptRecipient implements Recipient {
  private readonly passphrase: string
  private readonly logN: number

  constructor(passphrase: string, logN = DEFAULT_LOG_N) {
    this.passphrase = passphrase
    this.logN = logN
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16)
    const key = await deriveKey(this.passphrase, salt, this.logN)
    const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()])
    return [new Stanza(['scrypt', salt.toString('base64').replace(/=+$/, ''), String(this.logN)], body)]
  }
}

export class NativeScryptIdentity implements Identity {
  private readonly passphrase: string

  constructor(passphrase: string) {
    this.passphrase = passphrase
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const stanza = stanzas.find((s) => s.args[0] === 'scrypt')
    if (!stanza) return null
    if (stanzas.length !== 1) throw new Error('scrypt recipient is not the only one in the header')
    const [, saltText, logNText] = stanza.args
    if (stanza.args.length !== 3 || !saltText || !logNText || !/^[1-9][0-9]*$/.test(logNText)) {
      throw new Error('invalid scrypt stanza')
    }
    const salt = Buffer.from(saltText, 'base64')
    const logN = Number(logNText)
    if (salt.length !== 16) throw new Error('invalid scrypt stanza')
    if (logN > MAX_LOG_N) throw new Error('scrypt work factor is too high')
    const key = await deriveKey(this.passphrase, salt, logN)
    if (stanza.body.length !== 32) return null
    try {
      const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 })
      decipher.setAuthTag(stanza.body.subarray(16))
      return Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()])
    } catch {
      // A wrong passphrase: not this identity's file, as age-encryption's own identity answers.
      return null
    }
  }
}

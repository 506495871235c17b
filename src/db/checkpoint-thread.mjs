// The WAL checkpointer of a serving process (src/db/wal-checkpointer.ts): a connection of its own to the
// database file that copies committed WAL frames into it every second (PASSIVE: it never waits for a
// reader or the writer, and never holds them up), so that the main connection's COMMIT never does it. Plain
// JavaScript, like the read-only threads' file, so that dist/ and the sources run the same file.
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'

const db = new Database(workerData.file, { fileMustExist: true })
// As the main connection: the WAL is synced before a checkpoint, the database file after it.
db.pragma('synchronous = NORMAL')
// Its own connection never checkpoints on a commit either (it commits nothing).
db.pragma('wal_autocheckpoint = 0')

function checkpoint() {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)')
  if (result?.checkpointed > 0) parentPort?.postMessage({ checkpointed: result.checkpointed })
}

const timer = setInterval(checkpoint, workerData.everyMs)

parentPort?.on('message', (message) => {
  if (message?.close) {
    clearInterval(timer)
    // A last one: the frames written before the stop are in the file (the main connection may stay open).
    checkpoint()
    db.close()
    parentPort?.close()
  }
})

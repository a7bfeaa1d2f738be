import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

/** What a raw connection saw: the bytes answered, and whether the server closed it in time. */
export interface StalledOutcome {
  answer: string;
  closedByServer: boolean;
}

/**
 * Opens a plain TCP connection, writes `sent` and then nothing more (a client that stopped half
 * way). Resolves when the server closes the connection, or after `boundMs` (then the test closes
 * it and `closedByServer` is false). `whileOpen` runs once the bytes are out, before the wait.
 */
export function stalledRequest(
  port: number,
  sent: Buffer,
  boundMs: number,
  whileOpen: (socket: Socket) => Promise<void> = async () => {},
): Promise<StalledOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    const timer = setTimeout(() => settle(false), boundMs);
    socket.on('data', (data) => chunks.push(data));
    socket.on('close', () => settle(true));
    // A reset by the server is a close too.
    socket.on('error', () => {});
    socket.write(sent, () => {
      whileOpen(socket).catch((error: unknown) => {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
    });
  });
}

/** The end of a multipart body after its file part. */
export function multipartTail(boundary: string): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`);
}

/**
 * The head of a multipart upload: headers, `fields` first, then the file part's own headers.
 * Content-Length says what the whole body would be with `fileLength` bytes and the tail.
 */
export function multipartHead(options: {
  path: string;
  authorization: string;
  boundary: string;
  fields: Record<string, string>;
  fileField: string;
  fileName: string;
  fileLength: number;
}): Buffer {
  const { boundary } = options;
  const body = Buffer.from(
    Object.entries(options.fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="${options.fileField}"; filename="${options.fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const contentLength = body.length + options.fileLength + multipartTail(boundary).length;
  return Buffer.concat([
    Buffer.from(
      `POST ${options.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${options.authorization}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${contentLength}\r\nConnection: close\r\n\r\n`,
    ),
    body,
  ]);
}

/**
 * Open TCP connections of this process to `port` (ESTABLISHED), read from /proc: the sockets
 * among this process's file descriptors, matched against the kernel's connection tables.
 */
export async function openConnectionsTo(port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let open = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const [remote, state, inode] = [columns[2], columns[3], columns[9]];
      if (!remote || !inode) continue;
      if (remote.endsWith(`:${portHex}`) && state === '01' && inodes.has(inode)) open += 1;
    }
  }
  return open;
}

/** Polls `check` every 25 ms until it holds or `timeoutMs` passes; says which. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

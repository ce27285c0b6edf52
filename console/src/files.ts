// Files the user picks stay in the browser: the APIs take only their
// metadata (name, media type, size, SHA-256), and the hash ties the file
// the reporter or the procuratorate keeps to the record.

/** Lower-case hex of a digest. */
export function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A file's size for people. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export interface FileMetadata {
  name: string;
  media_type: string;
  size: number;
  sha256: string;
}

/** Whether this page may hash files: the browser gives crypto.subtle only
 *  to secure contexts (https, or the local machine). */
export function canHash(): boolean {
  return Boolean(globalThis.crypto?.subtle);
}

/** The metadata of a picked file, its SHA-256 computed here. */
export async function fileMetadata(file: File): Promise<FileMetadata> {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return {
    name: file.name,
    media_type: file.type || "application/octet-stream",
    size: file.size,
    sha256: hex(digest),
  };
}

import { BinaryWriter } from "@bufbuild/protobuf/wire";

interface Encoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/**
 * One writer for the whole process. A fresh BinaryWriter starts at 128 bytes
 * and regrows (allocate, copy) up to each object's size; this one keeps its
 * buffer, and finish() copies the bytes out and resets it. Encoding is
 * synchronous, so callers never interleave.
 */
const writer = new BinaryWriter();

/** The protobuf encoding of `message`, through the shared writer. */
export function encodeMessage<T>(codec: Encoder<T>, message: T): Uint8Array {
  try {
    return codec.encode(message, writer).finish();
  } catch (err) {
    // a half-written message must not prefix the next one
    writer.finish();
    throw err;
  }
}

/** Builds bytes by hand (framing, concatenation) on the shared writer. */
export function encodeWith(build: (w: BinaryWriter) => void): Uint8Array {
  try {
    build(writer);
    return writer.finish();
  } catch (err) {
    writer.finish();
    throw err;
  }
}

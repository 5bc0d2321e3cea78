/**
 * The one error a decoder throws for malformed input: a read past the end of the
 * frame, a length prefix that cannot fit, an integer outside the range the field
 * allows, or a null where the schema forbids one.
 *
 * Network code catches it once per frame and closes the connection; any other
 * exception escaping a decoder is a bug in the codec (the fuzz tests enforce this).
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';

  constructor(message: string) {
    super(message);
  }
}

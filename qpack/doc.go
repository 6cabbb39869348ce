// Package qpack implements QPACK, the field compression of HTTP/3 (RFC
// 9204): the static table, Huffman coding (RFC 7541 Appendix B), prefixed
// integers and string literals, and an Encoder and a Decoder with the
// dynamic table, blocked streams, and the encoder and decoder streams.
//
// Both sides are sans-IO state machines that fit the HTTP/3 stream model:
//
//   - Encoder.EncodeFieldSection encodes a header list for a request stream
//     and returns the HEADERS frame payload. Dynamic table inserts
//     accumulate as encoder-stream bytes, taken with
//     Encoder.AppendEncoderStream and written on the unidirectional encoder
//     stream before (or with) the HEADERS frame. The peer's decoder stream
//     is fed to Encoder.WriteDecoderStream in chunks of any size. A client
//     that sends requests before the server's SETTINGS arrive starts with
//     NewEncoder(EncoderConfig{}) and calls Encoder.SetPeerSettings later.
//   - Decoder.WriteEncoderStream consumes the peer's encoder stream in
//     chunks of any size; Decoder.DecodeFieldSection decodes a HEADERS
//     payload or reports it blocked until the inserts it needs arrive
//     (Decoder.ReadyStreams, Decoder.ResumeFieldSection);
//     Decoder.AppendDecoderStream gives the acknowledgments to write on the
//     decoder stream; Decoder.CancelStream abandons a stream.
//
// The encoder respects the peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY and
// SETTINGS_QPACK_BLOCKED_STREAMS, never evicts an entry that is
// unacknowledged or referenced by an unacknowledged section, duplicates
// entries close to eviction instead of pinning them, inserts only fields
// its history predicts will repeat, keeps blocked-stream slots for sections
// that save the most while acknowledgments do not come back (see
// COMPRESSION.md), and sends
// never-indexed literals for sensitive fields (HeaderField.Sensitive, and
// authorization, set-cookie and short cookies by default).
//
// Every error caused by peer input is an *Error whose Code is
// QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR or
// QPACK_DECODER_STREAM_ERROR; errors.Is matches it against
// ErrDecompressionFailed, ErrEncoderStream and ErrDecoderStream. Memory is
// bounded by DecoderConfig limits (string length, field section size,
// blocked sections) and by the encoder's table capacity.
package qpack

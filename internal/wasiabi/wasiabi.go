// Package wasiabi holds the one definition of the ABI between a WebAssembly
// guest (packages wasi and wasi/hostcrypto, on GOOS=wasip1) and its host
// (package wasihost): import module and function names with their arity,
// WASI errno values, the numbers of the WasmEdge socket extension, the
// layouts of the records passed through guest memory, the environment
// variables through which a host advertises its extensions, and the host
// crypto parameters.
//
// It is a leaf: it imports nothing, so that the guest and the host packages
// can both depend on it without depending on each other.
//
// Every function of the ABI takes i32 parameters only and returns one i32,
// a WASI errno; pointers are offsets in the guest's memory.
package wasiabi

// Import modules.
const (
	// ModuleWASI is WASI preview 1's module, which the WasmEdge socket
	// extension functions join.
	ModuleWASI = "wasi_snapshot_preview1"
	// ModuleSock is wasihost's socket extension (segmented sends).
	ModuleSock = "h3wasi_sock"
	// ModuleCrypto is wasihost's packet crypto offload.
	ModuleCrypto = "h3wasi_crypto"
)

// Func is a function of the ABI: its import module and name, and its number
// of i32 parameters (it returns one i32 errno).
type Func struct {
	Module string
	Name   string
	Params int
}

// The WasmEdge socket extension (module ModuleWASI), in the shapes of
// WasmEdge's v2 where v1 and v2 differ. Parameters, in order:
//
//	sock_open(af, socktype, *fd)
//	sock_bind(fd, *addr, port)
//	sock_connect(fd, *addr, port)
//	sock_listen(fd, backlog)
//	sock_send_to(fd, iovs, iovs_len, *addr, port, siflags, *nwritten)
//	sock_recv_from(fd, iovs, iovs_len, *addr, riflags, *port(u16), *nread, *roflags(u16))
//	sock_getlocaladdr(fd, *addr, *port(u32))
//	sock_getpeeraddr(fd, *addr, *port(u32))
//	sock_setsockopt(fd, level, name, *value, value_len)
//	sock_getsockopt(fd, level, name, *value, *value_len)
//	sock_getaddrinfo(*node, node_len, *service, service_len, *hints, *res, max_res, *res_len)
//	sock_shutdown(fd, how)
//
// *addr is an address record (AddrRecordSize bytes), iovs an array of
// iovecs (IovecSize bytes each).
var (
	SockOpen         = Func{ModuleWASI, "sock_open", 3}
	SockBind         = Func{ModuleWASI, "sock_bind", 3}
	SockConnect      = Func{ModuleWASI, "sock_connect", 3}
	SockListen       = Func{ModuleWASI, "sock_listen", 2}
	SockSendTo       = Func{ModuleWASI, "sock_send_to", 7}
	SockRecvFrom     = Func{ModuleWASI, "sock_recv_from", 8}
	SockGetlocaladdr = Func{ModuleWASI, "sock_getlocaladdr", 3}
	SockGetpeeraddr  = Func{ModuleWASI, "sock_getpeeraddr", 3}
	SockSetsockopt   = Func{ModuleWASI, "sock_setsockopt", 5}
	SockGetsockopt   = Func{ModuleWASI, "sock_getsockopt", 5}
	SockGetaddrinfo  = Func{ModuleWASI, "sock_getaddrinfo", 8}
	SockShutdown     = Func{ModuleWASI, "sock_shutdown", 2}
)

// SendSegments (module ModuleSock):
//
//	send_segments(fd, buf, buf_len, seg_size, *addr, port, *nwritten)
//
// sends buf_len bytes at buf as datagrams of seg_size bytes (the last may be
// shorter) to one address (an address record, as for sock_send_to) and
// stores the bytes sent, a whole number of datagrams, in *nwritten. It
// answers ErrnoAgain only when it sent nothing. A host that offers it sets
// SegmentsEnv to SegmentsVersion.
var SendSegments = Func{ModuleSock, "send_segments", 7}

// The host crypto functions (module ModuleCrypto); package wasi/hostcrypto
// documents their semantics.
//
//	aead_new(suite, key, key_len, *handle)
//	aead_seal(handle, nonce, ad, ad_len, in, in_len, out)
//	aead_open(handle, nonce, ad, ad_len, in, in_len, out)
//	key_close(handle)
//	block_new(suite, key, key_len, *handle)
//	block_encrypt(handle, in, out)
var (
	AEADNew      = Func{ModuleCrypto, "aead_new", 4}
	AEADSeal     = Func{ModuleCrypto, "aead_seal", 7}
	AEADOpen     = Func{ModuleCrypto, "aead_open", 7}
	KeyClose     = Func{ModuleCrypto, "key_close", 1}
	BlockNew     = Func{ModuleCrypto, "block_new", 4}
	BlockEncrypt = Func{ModuleCrypto, "block_encrypt", 3}
)

// SockFuncs, SockExtFuncs and CryptoFuncs list the functions of each module.
var (
	SockFuncs = []Func{SockOpen, SockBind, SockConnect, SockListen, SockSendTo,
		SockRecvFrom, SockGetlocaladdr, SockGetpeeraddr, SockSetsockopt,
		SockGetsockopt, SockGetaddrinfo, SockShutdown}
	SockExtFuncs = []Func{SendSegments}
	CryptoFuncs  = []Func{AEADNew, AEADSeal, AEADOpen, KeyClose, BlockNew, BlockEncrypt}
)

// WASI (wasi_snapshot_preview1) errno values used by the ABI.
const (
	ErrnoSuccess        = 0
	ErrnoAcces          = 2
	ErrnoAddrinuse      = 3
	ErrnoAddrnotavail   = 4
	ErrnoAfnosupport    = 5
	ErrnoAgain          = 6
	ErrnoBadf           = 8 // also: unknown crypto handle
	ErrnoBadmsg         = 9 // also: a packet that does not authenticate
	ErrnoConnrefused    = 14
	ErrnoFault          = 21 // a pointer and length outside the guest's memory
	ErrnoHostunreach    = 23
	ErrnoIntr           = 27
	ErrnoInval          = 28
	ErrnoIO             = 29
	ErrnoMfile          = 33 // also: crypto handle table full
	ErrnoMsgsize        = 35
	ErrnoNetdown        = 38
	ErrnoNetunreach     = 40
	ErrnoNobufs         = 42
	ErrnoNoent          = 44
	ErrnoNomem          = 48
	ErrnoNoprotoopt     = 50
	ErrnoNosys          = 52
	ErrnoNotconn        = 53
	ErrnoNotsock        = 57
	ErrnoNotsup         = 58
	ErrnoPerm           = 63
	ErrnoProtonosupport = 66
	ErrnoNotcapable     = 76 // refused by the host's policy
)

// Numbers of the WasmEdge socket extension.
const (
	// Address families of sock_open and getaddrinfo.
	AFUnspec = 0
	AFInet4  = 1
	AFInet6  = 2

	// Socket types of sock_open and getaddrinfo.
	SockAny    = 0
	SockDgram  = 1
	SockStream = 2

	// SolSocket is the only option level; the option names at it follow.
	SolSocket   = 0
	SoReuseaddr = 0
	SoType      = 1
	SoError     = 2
	SoBroadcast = 4
	SoSndbuf    = 5
	SoRcvbuf    = 6

	// The how of sock_shutdown.
	ShutRD = 1
	ShutWR = 2

	// IPProtoUDP is the protocol of a datagram addrinfo.
	IPProtoUDP = 17
)

// Layouts of the records passed through guest memory (little-endian).
const (
	// IovecSize is the size of an iovec {u32 buf; u32 buf_len}.
	IovecSize = 8

	// AddrRecordSize is the size of an address record
	// {u32 buf; u32 buf_len}; the buffer holds 4 (IPv4) or 16 (IPv6)
	// address bytes, and its length gives the family.
	AddrRecordSize = 8

	// AddrinfoSize is the size of an addrinfo record of sock_getaddrinfo
	// (also of its hints, of which the host reads the family); its fields
	// are at these offsets: flags u16, family u8, socktype u8, protocol
	// u32, addrlen u32, addr (a pointer to a sockaddr), canonname and
	// canonname_len, next (a pointer to the next record of the chain).
	AddrinfoSize         = 28
	AddrinfoFlags        = 0
	AddrinfoFamily       = 2
	AddrinfoSocktype     = 3
	AddrinfoProtocol     = 4
	AddrinfoAddrlen      = 8
	AddrinfoAddr         = 12
	AddrinfoCanonname    = 16
	AddrinfoCanonnameLen = 20
	AddrinfoNext         = 24

	// SockaddrSize is the size of the sockaddr an addrinfo points to:
	// family u16 (the host writes its low byte), data_len u32 and data (a
	// pointer to a buffer of data_len bytes, which receives a big-endian
	// port and the address bytes).
	SockaddrSize    = 12
	SockaddrFamily  = 0
	SockaddrDataLen = 4
	SockaddrData    = 8
	// SockaddrDataCap is the data buffer a guest provides: a port and up
	// to 16 address bytes (WasmEdge uses 26).
	SockaddrDataCap = 26

	// The longest node and service names sock_getaddrinfo accepts.
	MaxNodeLen    = 255
	MaxServiceLen = 32
)

// Environment variables through which a host advertises its mechanisms and
// extensions to the guest.
const (
	// WakeEnv tells the guest how it can sleep until a socket has
	// datagrams queued: WakeStdin, the host writes a byte to the module's
	// stdin whenever a socket the guest found empty becomes readable
	// (wasihost); WakePoll, no notification, the guest polls with a
	// backoff (any host). Without the variable the guest polls.
	WakeEnv   = "H3WASI_SOCKET_WAKE"
	WakeStdin = "stdin"
	WakePoll  = "poll"

	// SegmentsEnv is set to SegmentsVersion by a host that offers
	// SendSegments.
	SegmentsEnv     = "H3WASI_SEGMENTS"
	SegmentsVersion = "1"

	// CryptoEnv is set to CryptoVersion by a host that offers the
	// functions of ModuleCrypto.
	CryptoEnv     = "H3WASI_HOSTCRYPTO"
	CryptoVersion = "1"
)

// Host crypto parameters.
const (
	// TLS 1.3 cipher suites, the suite argument of aead_new and block_new.
	SuiteAES128GCM        = 0x1301
	SuiteAES256GCM        = 0x1302
	SuiteChaCha20Poly1305 = 0x1303

	// NonceSize and TagSize are the AEAD nonce and tag lengths;
	// MaskSampleSize is the length of a header protection sample and of
	// its mask (block_encrypt).
	NonceSize      = 12
	TagSize        = 16
	MaskSampleSize = 16

	// MaxKeys bounds a module's crypto handle table: a QUIC connection
	// holds a few keys per direction, so this serves hundreds of
	// connections; a guest that runs out falls back to its own AEADs.
	MaxKeys = 4096
)

package wasi

// Constants of the WasmEdge socket extension ABI, shared by the guest (this
// package, on wasip1) and the host (package wasihost), so that both sides
// agree on one definition.
const (
	// AFUnspec, AFInet4 and AFInet6 are the address families of sock_open
	// and getaddrinfo.
	AFUnspec = 0
	AFInet4  = 1
	AFInet6  = 2

	// SockAny, SockDgram and SockStream are the socket types of sock_open.
	SockAny    = 0
	SockDgram  = 1
	SockStream = 2

	// SolSocket is the only option level the host implements.
	SolSocket = 0
	// SoReuseaddr, SoType, SoError, SoBroadcast, SoSndbuf and SoRcvbuf are
	// the option names of sock_setsockopt/sock_getsockopt at SolSocket.
	SoReuseaddr = 0
	SoType      = 1
	SoError     = 2
	SoBroadcast = 4
	SoSndbuf    = 5
	SoRcvbuf    = 6

	// AddrinfoSize is the size of a guest addrinfo record of
	// sock_getaddrinfo; SockaddrSize the size of its sockaddr record.
	AddrinfoSize = 28
	SockaddrSize = 12
	// SockaddrDataCap is the capacity of the sockaddr data buffer the
	// guest provides: a big-endian port and up to 16 address bytes
	// (WasmEdge uses 26).
	SockaddrDataCap = 26
)

// WakeEnv is the environment variable through which a host tells the guest
// how it can sleep until a socket has datagrams queued:
//
//	WakeStdin ("stdin"): the host writes a byte to the module's stdin
//	  whenever a socket the guest found empty becomes readable (wasihost).
//	WakePoll ("poll"): no notification; the guest polls with a backoff
//	  (any host; costs latency and idle CPU).
//
// Without the variable the guest polls.
const WakeEnv = "H3WASI_SOCKET_WAKE"

// Segmented sends, an extension of wasihost's (see WriteSegments in the
// package doc): the import module ExtModuleName offers
//
//	send_segments(fd, buf, buf_len, seg_size, *addr, port, *nwritten) -> errno
//
// which sends buf_len bytes at buf as datagrams of seg_size bytes (the last
// may be shorter) to one address (an address record as for sock_send_to),
// and stores the bytes sent, a whole number of datagrams, in *nwritten. It
// answers EAGAIN only when it sent nothing. A host that offers it sets
// SegmentsEnv to SegmentsABIVersion.
const (
	ExtModuleName      = "h3wasi_sock"
	SegmentsEnv        = "H3WASI_SEGMENTS"
	SegmentsABIVersion = "1"
)

// Values of WakeEnv.
const (
	WakeStdin = "stdin"
	WakePoll  = "poll"
)

package wasihost

// WASI (wasi_snapshot_preview1) errno values the socket functions return.
const (
	errnoSuccess        = 0
	errnoAcces          = 2
	errnoAddrinuse      = 3
	errnoAddrnotavail   = 4
	errnoAfnosupport    = 5
	errnoAgain          = 6
	errnoBadf           = 8
	errnoConnrefused    = 14
	errnoFault          = 21
	errnoHostunreach    = 23
	errnoIntr           = 27
	errnoInval          = 28
	errnoIO             = 29
	errnoMfile          = 33
	errnoMsgsize        = 35
	errnoNetdown        = 38
	errnoNetunreach     = 40
	errnoNobufs         = 42
	errnoNoent          = 44
	errnoNomem          = 48
	errnoNoprotoopt     = 50
	errnoNosys          = 52
	errnoNotconn        = 53
	errnoNotsock        = 57
	errnoNotsup         = 58
	errnoPerm           = 63
	errnoProtonosupport = 66
	errnoNotcapable     = 76
)

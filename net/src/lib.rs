//! I/O for the prose-sec roles: sockets, SIP/SDP signalling, RTP/RTCP media, pcap and the role nodes.

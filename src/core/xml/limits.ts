// How much domain XML repin reads at all: libvirt's own limits, shared by
// xmldom's parse (xmldom.ts) and the plain reader (plain-xml.ts).
import { MAX_CPU_ID } from '../cpuset.js';

/**
 * libvirt's RPC caps a string at REMOTE_STRING_MAX (4 MiB), so no domain XML
 * that libvirt itself passed can be larger; bigger input is refused unread.
 */
export const MAX_XML_BYTES = 4 * 1024 * 1024;

/**
 * At most this many elements. libvirt's largest domain (16384 vCPUs,
 * VIR_DOMAIN_CPUMASK_LEN) has two elements per vCPU that libvirt never merges
 * into ranges (`<vcpupin>`, `<vcpus><vcpu>`; equal `<vcpusched>` are merged),
 * plus room for everything else. xmldom needs ~15 µs per element, so this
 * bounds parsing well under a second; 4 MiB of `<a/>` would take 15 s.
 */
export const MAX_XML_ELEMENTS = 2 * (MAX_CPU_ID + 1) + 8192;

/** libxml2's default nesting limit (xmlParserMaxDepth without XML_PARSE_HUGE): libvirt cannot parse deeper. */
export const MAX_XML_DEPTH = 256;

#ifndef BATON_CRC32C_H
#define BATON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Whether this processor has the CRC-32C instruction (x86-64 SSE 4.2); 0 elsewhere.
int baton_crc32c_hardware(void);

/// Continues a CRC-32C over `length` bytes with the processor's instruction (call only when
/// `baton_crc32c_hardware()` says so). `crc` is the running value, not inverted.
uint32_t baton_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length);

#endif

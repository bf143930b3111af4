#ifndef BATON_CLZ4_SHIM_H
#define BATON_CLZ4_SHIM_H
#include <lz4.h>
#endif

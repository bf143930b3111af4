#ifndef BATON_CLIBXML2_SHIM_H
#define BATON_CLIBXML2_SHIM_H
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/// libxml2 exposes xmlFree as a global function pointer, which Swift 6 sees as shared
/// mutable state; this wrapper calls it.
static inline void baton_xml_free(void *pointer) { xmlFree(pointer); }
#endif

// libxml2's HTML parser and tree API, used by RagExtraction's HTML extractor.
// The include path (/usr/include/libxml2) comes from pkg-config (libxml-2.0.pc).
//
// Debian builds libxml2 with ICU, so encoding.h would include the system's <unicode/*.h>,
// whose types clash with the ICU copy inside Swift's Foundation ("'UErrorCode' has different
// definitions in different modules"). ICU only adds private fields at the end of
// xmlCharEncodingHandler, which Swift never allocates or reads (it only passes handler
// pointers back to libxml2), so hiding the ICU parts of the headers is safe.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <libxml/encoding.h>

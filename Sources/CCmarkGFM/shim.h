// libcmark-gfm, the CommonMark and GitHub Flavored Markdown reference parser, and its GFM
// extensions (tables, strikethrough), used by RagExtraction's Markdown reader.
// Debian's libcmark-gfm-dev ships libcmark-gfm.pc (headers in /usr/include, and it links both
// libraries); the module map links them too, for systems whose .pc file lacks the extensions.
#include <cmark-gfm.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm-core-extensions.h>

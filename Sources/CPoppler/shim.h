// poppler-glib (PDF parsing and text extraction) plus the GLib/GObject calls needed to manage
// its objects and errors. Include paths (poppler, glib-2.0, cairo) come from pkg-config
// (poppler-glib.pc).
#include <glib.h>
#include <glib-object.h>
#include <poppler.h>

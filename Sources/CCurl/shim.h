#ifndef MAILPOOL_CCURL_SHIM_H
#define MAILPOOL_CCURL_SHIM_H
#include <curl/curl.h>
#endif

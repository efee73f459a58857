#ifndef TORRUS_CCURL_SHIM_H
#define TORRUS_CCURL_SHIM_H

#include <curl/curl.h>

// Swift cannot call C variadic functions, so each variadic libcurl entry point gets one
// typed static inline wrapper per argument type. The aria2 adapter (issue 3) adds the rest.

static inline CURLcode torrus_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode torrus_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode torrus_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode torrus_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode torrus_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif

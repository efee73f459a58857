#ifndef TORRUS_CCURL_SHIM_H
#define TORRUS_CCURL_SHIM_H

#include <curl/curl.h>

// Swift cannot call C variadic functions, so each variadic libcurl entry point gets one
// typed static inline wrapper per argument type. Everything here is a thin pass-through:
// no state, no policy. Thread rules are the caller's (see Sources/Torrus/Aria2/Curl).

// MARK: curl_easy_setopt

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

/// CURLOPT_WRITEFUNCTION (and CURLOPT_HEADERFUNCTION, same type).
static inline CURLcode torrus_easy_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_READFUNCTION.
static inline CURLcode torrus_easy_setopt_read_callback(CURL *handle, CURLoption option, curl_read_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_XFERINFOFUNCTION.
static inline CURLcode torrus_easy_setopt_xferinfo_callback(CURL *handle, CURLoption option, curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// CURLOPT_SOCKOPTFUNCTION.
static inline CURLcode torrus_easy_setopt_sockopt_callback(CURL *handle, CURLoption option, curl_sockopt_callback value) {
    return curl_easy_setopt(handle, option, value);
}

// MARK: curl_easy_getinfo

static inline CURLcode torrus_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode torrus_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode torrus_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// CURLINFO_ACTIVESOCKET.
static inline CURLcode torrus_easy_getinfo_socket(CURL *handle, CURLINFO info, curl_socket_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

// MARK: curl_multi_setopt

static inline CURLMcode torrus_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode torrus_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

// MARK: CURLMsg (its `data` member is an anonymous union)

static inline int torrus_multi_msg_is_done(const CURLMsg *message) {
    return message->msg == CURLMSG_DONE;
}

static inline CURL *torrus_multi_msg_easy(const CURLMsg *message) {
    return message->easy_handle;
}

static inline CURLcode torrus_multi_msg_result(const CURLMsg *message) {
    return message->data.result;
}

// MARK: curl_version_info

/// `curl_version_info(CURLVERSION_NOW)`; CURLVERSION_NOW is a macro Swift may not import.
static inline const curl_version_info_data *torrus_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif

# cmake -DINPUT=file -DOUTPUT=file.cc -DNAME=symbol -P embed_text.cmake
# Writes a C++ file defining `extern const char NAME[]` with INPUT's text,
# so the binary carries documents such as docs/diagnostics.md.
file(READ "${INPUT}" text)
string(FIND "${text}" ")tutti_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cli/embed_text.cmake; do not edit.\nextern const char ${NAME}[];\nconst char ${NAME}[] = R\"tutti_embed(${text})tutti_embed\";\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

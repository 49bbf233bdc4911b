// Boost.Asio's and Boost.Beast's compiled parts, once for the program.
// tutti_daemon and everything that links it are built with
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION
// (runtime/CMakeLists.txt): the other files that include Asio or Beast then
// compile only the templates they instantiate, a quarter less time for the
// daemon's heaviest files (docs/performance.md, CI's time).
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

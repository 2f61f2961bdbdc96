// The one translation unit that compiles Asio and Beast. corridor_net defines
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION publicly, so every other
// file that includes Asio or Beast sees only declarations and links against the definitions
// compiled here, instead of instantiating the whole implementation again in each file.

#if !defined(BOOST_ASIO_SEPARATE_COMPILATION) || !defined(BOOST_BEAST_SEPARATE_COMPILATION)
#error "asio_impl.cc must be built with Asio and Beast separate compilation enabled"
#endif

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>

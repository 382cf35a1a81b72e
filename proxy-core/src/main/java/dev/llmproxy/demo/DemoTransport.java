package dev.llmproxy.demo;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * Chooses the I/O transport of the demo upstream: epoll where it loads, else NIO.
 *
 * <p>Why reflection: netty-bom gives {@code netty-transport-native-epoll} (and with it
 * {@code netty-transport-classes-epoll}) runtime scope, so the epoll classes are on the run-time class path but not
 * the compile-time one. Once proxy-core declares {@code netty-transport-classes-epoll} at compile scope, this becomes
 * {@code Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory()}.
 *
 * @param name              "epoll" or "nio", for the start-up log
 * @param ioHandlerFactory  for {@code MultiThreadIoEventLoopGroup}
 * @param serverChannelType the matching server socket channel
 */
record DemoTransport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannelType) {

    static DemoTransport select() {
        try {
            ClassLoader loader = DemoTransport.class.getClassLoader();
            Class<?> epoll = Class.forName("io.netty.channel.epoll.Epoll", true, loader);
            if ((Boolean) epoll.getMethod("isAvailable").invoke(null)) {
                IoHandlerFactory factory = (IoHandlerFactory) Class.forName("io.netty.channel.epoll.EpollIoHandler", true, loader)
                        .getMethod("newFactory").invoke(null);
                Class<? extends ServerChannel> channel = Class.forName(
                        "io.netty.channel.epoll.EpollServerSocketChannel", true, loader).asSubclass(ServerChannel.class);
                return new DemoTransport("epoll", factory, channel);
            }
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            // Not on Linux, or the native library is absent: NIO serves the same protocol, a little slower.
        }
        return nio();
    }

    static DemoTransport nio() {
        return new DemoTransport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}

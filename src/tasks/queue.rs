//! A distributed producer/consumer queue over MPI ranks: `multiprocessing.Queue` without the
//! `None` sentinel.
//!
//! Rank 0 of the communicator keeps the queue (the broker) and may produce and consume too.
//! Capacity is bounded: a `put` returns once the item is in the queue, so a producer ahead
//! of its consumers waits (back-pressure; each producer has at most one item in flight beyond
//! the capacity). When every producer has closed and the queue is drained, every consumer's
//! `get` returns `None`. Messages travel on a private duplicate of the communicator.
//!
//! As with any bounded queue, a rank that both produces and consumes must not put more than
//! the capacity ahead of its own gets while the other ranks do the same: then every rank
//! waits to put and none gets.

use std::collections::VecDeque;
use std::marker::PhantomData;

use mpi::collective::CommunicatorCollectives;
use mpi::topology::{Communicator, Rank, SimpleCommunicator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::collective::object::ObjectCollectives;
use crate::error::{Error, Result};
use crate::runtime::world::Comm;

const BROKER: Rank = 0;
const TO_BROKER: i32 = 1;
const FROM_BROKER: i32 = 2;

#[derive(Serialize, Deserialize)]
enum Request {
    Put(ByteBuf),
    Get,
    Close,
    Done,
}

#[derive(Serialize, Deserialize)]
enum Reply {
    Ack,
    Item(ByteBuf),
    End,
}

/// A bounded queue shared by the ranks of a communicator.
///
/// # Examples
/// ```no_run
/// use mpikit::tasks::Queue;
/// mpikit::run(|world| {
///     let rank = world.rank();
///     // Rank 1 produces (rank 0 when alone), every other rank consumes.
///     let producer = rank == 1 || world.size() == 1;
///     let mut queue = Queue::<String>::new(world, 8, producer, !producer)?;
///     if producer {
///         for i in 0..5 {
///             queue.put(&format!("Item {i}"))?;
///         }
///         queue.close()?;
///     } else {
///         while let Some(item) = queue.get()? {
///             println!("rank {rank} consumed {item}");
///         }
///     }
///     queue.finish()?; // every rank; rank 0 serves until the queue is done
///     Ok::<(), mpikit::Error>(())
/// });
/// ```
pub struct Queue<T> {
    comm: SimpleCommunicator,
    produces: bool,
    consumes: bool,
    closed: bool,
    ended: bool,
    broker: Option<Broker>,
    _items: PhantomData<fn(T) -> T>,
}

/// Rank 0's state.
struct Broker {
    capacity: usize,
    items: VecDeque<ByteBuf>,
    /// Producers whose item waits for room, with the item.
    blocked: VecDeque<(Rank, ByteBuf)>,
    /// Consumers waiting for an item.
    waiting: VecDeque<Rank>,
    open_producers: usize,
    active_consumers: usize,
    /// The reply to rank 0's own `get`.
    own_reply: Option<Reply>,
    /// Items dropped because no consumer was left to take them.
    discarded: usize,
}

impl<T: Serialize + DeserializeOwned> Queue<T> {
    /// Joins the queue (collective). Every rank says whether it produces and whether it
    /// consumes; rank 0's `capacity` (at least 1) counts.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::tasks::Queue;
    /// mpikit::run(|world| {
    ///     // Rank 0 produces, every other rank consumes; room for 16 items.
    ///     let producer = world.is_root();
    ///     let queue = Queue::<u64>::new(world, 16, producer, !producer)?;
    ///     assert_eq!(queue.finish()?, 0); // nothing put, nothing left over
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn new<A: Comm + ?Sized>(
        comm: &A,
        capacity: usize,
        produces: bool,
        consumes: bool,
    ) -> Result<Queue<T>> {
        let comm = comm.as_comm();
        let comm = comm.duplicate();
        let mine = [u8::from(produces), u8::from(consumes)];
        let mut roles = vec![0u8; 2 * comm.size() as usize];
        comm.all_gather_into(&mine[..], &mut roles[..]);
        let mut cap = [capacity as u64];
        mpi::collective::Root::broadcast_into(&comm.process_at_rank(BROKER), &mut cap[..]);
        if cap[0] == 0 {
            return Err(Error::input(
                "a queue needs a capacity of at least 1 (on rank 0)",
            ));
        }
        let broker = (comm.rank() == BROKER).then(|| Broker {
            capacity: cap[0] as usize,
            items: VecDeque::new(),
            blocked: VecDeque::new(),
            waiting: VecDeque::new(),
            open_producers: roles.chunks(2).filter(|r| r[0] == 1).count(),
            active_consumers: roles.chunks(2).filter(|r| r[1] == 1).count(),
            own_reply: None,
            discarded: 0,
        });
        Ok(Queue {
            comm,
            produces,
            consumes,
            closed: false,
            ended: false,
            broker,
            _items: PhantomData,
        })
    }

    /// Adds `item`, waiting while the queue is full.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::tasks::Queue;
    /// mpikit::run(|world| {
    ///     let producer = world.is_root();
    ///     let mut queue = Queue::<String>::new(world, 4, producer, !producer)?;
    ///     if producer {
    ///         for name in ["a.csv", "b.csv", "c.csv"] {
    ///             queue.put(&name.to_string())?; // waits while 4 items are queued
    ///         }
    ///     } else {
    ///         while let Some(name) = queue.get()? {
    ///             println!("rank {} reads {name}", world.rank());
    ///         }
    ///     }
    ///     queue.finish()?; // closes the producer; rank 0 serves until the queue is done
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn put(&mut self, item: &T) -> Result<()> {
        if !self.produces || self.closed {
            return Err(Error::input(
                "put on a rank that is not an open producer of this queue",
            ));
        }
        let bytes = ByteBuf::from(crate::collective::codec::encode_bytes(item)?);
        if self.broker.is_some() {
            self.local(Request::Put(bytes))?;
            // Rank 0's own put waits for room like any other, while it serves the others.
            while self
                .broker
                .as_ref()
                .is_some_and(|b| b.blocked.iter().any(|(r, _)| *r == BROKER))
            {
                if self.others_consuming() == 0 {
                    return Err(Error::input(
                        "the queue is full and no other rank consumes: rank 0 would wait forever",
                    ));
                }
                self.serve_one()?;
            }
            return Ok(());
        }
        self.comm
            .send_object(BROKER, TO_BROKER, &Request::Put(bytes))?;
        match self
            .comm
            .receive_object::<Reply>(Some(BROKER), Some(FROM_BROKER))?
            .0
        {
            Reply::Ack => Ok(()),
            _ => Err(Error::input("queue protocol: expected an acknowledgement")),
        }
    }

    /// The next item, waiting for one; `None` once every producer has closed and the queue
    /// is empty.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::tasks::Queue;
    /// mpikit::run(|world| {
    ///     let producer = world.is_root();
    ///     let mut queue = Queue::<u32>::new(world, 8, producer, !producer)?;
    ///     if producer {
    ///         for n in 1..=10 {
    ///             queue.put(&n)?;
    ///         }
    ///         queue.close()?;
    ///     } else {
    ///         let mut mine = 0;
    ///         while let Some(n) = queue.get()? {
    ///             mine += n; // None once rank 0 has closed and the queue is empty
    ///         }
    ///         println!("rank {} summed {mine}", world.rank());
    ///     }
    ///     queue.finish()?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn get(&mut self) -> Result<Option<T>> {
        if !self.consumes {
            return Err(Error::input(
                "get on a rank that is not a consumer of this queue",
            ));
        }
        if self.ended {
            return Ok(None);
        }
        let reply = if self.broker.is_some() {
            self.local(Request::Get)?;
            loop {
                if let Some(reply) = self.broker.as_mut().and_then(|b| b.own_reply.take()) {
                    break reply;
                }
                if self.others_producing() == 0 {
                    return Err(Error::input(
                        "the queue is empty and only rank 0 still produces: it would wait forever",
                    ));
                }
                self.serve_one()?;
            }
        } else {
            self.comm.send_object(BROKER, TO_BROKER, &Request::Get)?;
            self.comm
                .receive_object::<Reply>(Some(BROKER), Some(FROM_BROKER))?
                .0
        };
        match reply {
            Reply::Item(bytes) => {
                crate::collective::codec::decode_bytes(&bytes, Some(BROKER)).map(Some)
            }
            _ => {
                self.ended = true;
                Ok(None)
            }
        }
    }

    /// Says this producer will put no more (idempotent).
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::tasks::Queue;
    /// mpikit::run(|world| {
    ///     // Two producers: the consumers' gets end once both have closed.
    ///     let producer = world.rank() < 2;
    ///     let mut queue = Queue::<String>::new(world, 8, producer, !producer)?;
    ///     if producer {
    ///         queue.put(&format!("hello from rank {}", world.rank()))?;
    ///         queue.close()?;
    ///         queue.close()?; // closing again does nothing
    ///     } else {
    ///         while let Some(message) = queue.get()? {
    ///             println!("{message}");
    ///         }
    ///     }
    ///     queue.finish()?;
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn close(&mut self) -> Result<()> {
        if !self.produces || self.closed {
            return Ok(());
        }
        self.closed = true;
        if self.broker.is_some() {
            self.local(Request::Close)
        } else {
            self.comm.send_object(BROKER, TO_BROKER, &Request::Close)
        }
    }

    /// Leaves the queue (every rank, at the end): closes a producer, releases a consumer
    /// that stopped early, and on rank 0 serves the others until every producer has closed,
    /// the queue is drained or no consumer is left. Returns the number of items that no
    /// consumer took.
    ///
    /// # Examples
    /// ```no_run
    /// use mpikit::tasks::Queue;
    /// mpikit::run(|world| {
    ///     let producer = world.is_root();
    ///     let mut queue = Queue::<u64>::new(world, 8, producer, !producer)?;
    ///     if producer {
    ///         for i in 0..5 {
    ///             queue.put(&i)?;
    ///         }
    ///     } else if let Some(first) = queue.get()? {
    ///         println!("rank {} takes {first} and stops", world.rank());
    ///     }
    ///     // Every rank, last: rank 0 serves the others until they are done.
    ///     let left_over = queue.finish()?;
    ///     if world.is_root() {
    ///         println!("{left_over} items taken by no one");
    ///     }
    ///     Ok::<(), mpikit::Error>(())
    /// });
    /// ```
    pub fn finish(mut self) -> Result<usize> {
        self.close()?;
        if self.consumes && !self.ended {
            self.ended = true;
            if self.broker.is_some() {
                self.local(Request::Done)?;
            } else {
                self.comm.send_object(BROKER, TO_BROKER, &Request::Done)?;
            }
        }
        while self.broker.as_ref().is_some_and(|b| !b.finished()) {
            self.serve_one()?;
        }
        Ok(self
            .broker
            .as_ref()
            .map_or(0, |b| b.discarded + b.items.len() + b.blocked.len()))
    }

    /// Rank 0: open producers other than itself.
    fn others_producing(&self) -> usize {
        let own = usize::from(self.produces && !self.closed);
        self.broker.as_ref().map_or(0, |b| b.open_producers - own)
    }

    /// Rank 0: consumers other than itself still taking items.
    fn others_consuming(&self) -> usize {
        let own = usize::from(self.consumes && !self.ended);
        self.broker.as_ref().map_or(0, |b| b.active_consumers - own)
    }

    /// Rank 0: handles one message from another rank.
    fn serve_one(&mut self) -> Result<()> {
        let (request, status) = self.comm.receive_object::<Request>(None, Some(TO_BROKER))?;
        self.handle(status.source, request)
    }

    /// Rank 0: handles its own request.
    fn local(&mut self, request: Request) -> Result<()> {
        self.handle(BROKER, request)
    }

    fn handle(&mut self, from: Rank, request: Request) -> Result<()> {
        let broker = self.broker.as_mut().expect("only rank 0 handles requests");
        let mut replies = Vec::new();
        match request {
            Request::Put(item) if broker.items.len() < broker.capacity => {
                broker.items.push_back(item);
                replies.push((from, Reply::Ack));
            }
            Request::Put(item) => broker.blocked.push_back((from, item)),
            Request::Get => broker.waiting.push_back(from),
            Request::Close => broker.open_producers -= 1,
            Request::Done => {
                broker.active_consumers -= 1;
                broker.waiting.retain(|&r| r != from);
            }
        }
        broker.settle(&mut replies);
        for (to, reply) in replies {
            if to == BROKER {
                match reply {
                    Reply::Ack => {}
                    reply => broker.own_reply = Some(reply),
                }
            } else {
                self.comm.send_object(to, FROM_BROKER, &reply)?;
            }
        }
        Ok(())
    }
}

impl Broker {
    /// Moves waiting items into room and to waiting consumers; ends consumers once no
    /// producer is left and nothing is queued.
    fn settle(&mut self, replies: &mut Vec<(Rank, Reply)>) {
        loop {
            let room = self.active_consumers == 0 || self.items.len() < self.capacity;
            if room {
                if let Some((producer, item)) = self.blocked.pop_front() {
                    self.items.push_back(item);
                    replies.push((producer, Reply::Ack));
                    continue;
                }
            }
            if !self.waiting.is_empty() && !self.items.is_empty() {
                let consumer = self.waiting.pop_front().expect("checked");
                let item = self.items.pop_front().expect("checked");
                replies.push((consumer, Reply::Item(item)));
                continue;
            }
            break;
        }
        if self.active_consumers == 0 {
            self.discarded += self.items.len();
            self.items.clear();
        }
        if self.open_producers == 0 && self.items.is_empty() && self.blocked.is_empty() {
            for consumer in self.waiting.drain(..) {
                replies.push((consumer, Reply::End));
                self.active_consumers -= 1;
            }
        }
    }

    /// Nothing more can happen: no producer and no consumer left.
    fn finished(&self) -> bool {
        self.open_producers == 0 && self.active_consumers == 0
    }
}
